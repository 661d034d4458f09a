"""Reports of a real agent run: junit properties, the GitHub job summary, the HTML page.

One agent run (a module-scoped fixture, in a subprocess) makes all three reports
for three tasks: T-101 gets done, T-102 fails after a lint finding and a wrong
diff, T-103 is skipped because it depends on T-102. The tests read what it wrote.
The browser tests (``test_report_browser.py``) load the same page in Chromium.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import GREET_DIFF
from conftest import GitProject
from conftest import git

from pytest_agent.report import TaskRecord
from pytest_agent.report import diff_html
from pytest_agent.report import render_html
from pytest_agent.report import render_markdown
from pytest_agent.report._markdown import append_step_summary

#: Given to the run as AGENT_API_KEY: the session's secret. Not shaped like a key, so
#: only the session's own secrets can redact it.
SECRET = "tok-Very-Secret-4711"
#: Shaped like an OpenAI key: redacted whatever the settings say.
KEY_SHAPED = "sk-abcdefghijklmnopqrstuvwxyz012345"

LINT_DIFF = GREET_DIFF.replace(
    "@@ -1,2 +1,6 @@\n def other():", "@@ -1,2 +1,7 @@\n+import os\n def other():"
)
#: Wrong, with markup and the secret in it: it must reach the page as text, redacted.
WRONG_DIFF = f"""\
--- a/src/hello.py
+++ b/src/hello.py
@@ -1,2 +1,7 @@
 def other():
     return 1
+
+
+def greet(name):
+    # {SECRET}
+    return f"Hi, <{{name}}>"
"""

PLAN = """\
tasks:
  - id: T-101
    description: "greet(name) returns 'Hello, <name>!'"
    files: [src/hello.py]
    accept_tests: [tests/test_hello.py::test_greet]
  - id: T-102
    description: 'greet <b>loudly</b> & "quoted"'
    accept_tests: [tests/test_hello.py::test_greet]
  - id: T-103
    description: builds on T-102
    depends_on: [T-102]
    accept_tests: [tests/test_hello.py::test_greet]
"""

CONFTEST = f"""\
import os

from pytest_agent import Proposal, Usage

GREET_DIFF = {GREET_DIFF!r}
LINT_DIFF = {LINT_DIFF!r}
WRONG_DIFF = {WRONG_DIFF!r}


def pytest_agent_localize(task, workspace, baseline, settings):
    return (), ""  # a scripted proposer needs no localization


def pytest_agent_propose_diff(task, context):
    if task.id == "T-101":
        return Proposal(diff=GREET_DIFF, notes="add greet()", engine="scripted",
                        usage=Usage(prompt_tokens=1000, completion_tokens=200, cost_usd=0.0123))
    diff = LINT_DIFF if context.attempt == 1 else WRONG_DIFF
    notes = ("<script>alert('x')</script></pre> key " + os.environ["AGENT_API_KEY"]
             + " and {KEY_SHAPED}")
    return Proposal(diff=diff, notes=notes, engine="scripted",
                    usage=Usage(prompt_tokens=100, completion_tokens=10, cost_usd=0.001))
"""

EARLIER_SUMMARY = "# Tests of an earlier step\n\nall green\n"


@dataclass
class AgentRun:
    root: Path
    output: str
    commit_101: str
    junit: Path = field(init=False)
    page: Path = field(init=False)
    summary: Path = field(init=False)

    def __post_init__(self) -> None:
        self.junit = self.root / "out" / "junit.xml"
        self.page = self.root / "out" / "report.html"
        self.summary = self.root / "step-summary.md"


def make_project(root: Path) -> None:
    files = {
        "src/__init__.py": "",
        "src/hello.py": "def other():\n    return 1\n",
        "tests/test_hello.py": textwrap.dedent("""\
            from src.hello import greet


            def test_greet():
                assert greet("Ada") == "Hello, Ada!"
            """),
        "plans/sprint.yaml": PLAN,
        "pytest.ini": "[pytest]\npythonpath = .\n",
        ".agent.yml": "max_reflexion_retries: 1\n",
        "conftest.py": CONFTEST,
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")


def run_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "AGENT_BASE_URL", "AGENT_ENGINE", "PYTEST_ADDOPTS")}
    env.update({
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTEST_PLUGINS": "pytest_agent.plugin",
        "AGENT_API_KEY": SECRET,
        "GITHUB_STEP_SUMMARY": str(root / "step-summary.md"),
        "GIT_AUTHOR_NAME": "Test User", "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test User", "GIT_COMMITTER_EMAIL": "test@example.com",
    })
    return env


def run_agent(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # --agent-engine=offline: the key is there to be redacted, not to reach a model.
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--agent-all", "--agent-engine=offline",
         "--junitxml=out/junit.xml", "--agent-report=out/report.html", "-p", "no:cacheprovider",
         *args],
        cwd=root, env=run_env(root), capture_output=True, text=True, timeout=300, check=False,
    )


#: The tests that read the one agent run share an xdist worker (``--dist loadgroup``):
#: spread over two, the run would be made twice.
SHARED_RUN = pytest.mark.xdist_group("report-agent-run")


@pytest.fixture(scope="module")
def agent_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentRun]:
    root = tmp_path_factory.mktemp("reports")
    make_project(root)
    (root / "step-summary.md").write_text(EARLIER_SUMMARY)
    proc = run_agent(root)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "1 failed, 1 passed, 1 skipped" in output, output
    yield AgentRun(root, output, git(root, "rev-parse", "agent/T-101").strip())


# -- a small DOM from html.parser, enough to query the page ---------------------

_VOID = {"meta", "link", "br", "hr", "img", "input", "wbr", "source", "area", "base", "col"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find_all(self, tag: str, cls: str | None = None) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag and (cls is None or cls in child.classes):
                    found.append(child)
                found.extend(child.find_all(tag, cls))
        return found

    def find(self, tag: str, cls: str | None = None) -> Node:
        found = self.find_all(tag, cls)
        assert found, f"no <{tag} class={cls}> in <{self.tag} {self.attrs}>"
        return found[0]


class DomBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(text: str) -> Node:
    builder = DomBuilder()
    builder.feed(text)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def section(dom: Node, task_id: str) -> Node:
    return next(s for s in dom.find_all("section", "task") if s.attrs["id"] == f"task-{task_id}")


# -- junit XML -------------------------------------------------------------------


@SHARED_RUN
class TestJunitProperties:
    @staticmethod
    def props(run: AgentRun) -> dict[str, dict[str, str]]:
        cases = {}
        for case in ET.parse(run.junit).iter("testcase"):
            cases[case.get("name", "")] = {
                p.get("name", ""): p.get("value", "") for p in case.iter("property")
            }
        return cases

    def test_done_task(self, agent_run: AgentRun) -> None:
        props = self.props(agent_run)["T-101"]
        assert props == {
            "task_id": "T-101", "status": "done", "attempts": "1", "branch": "agent/T-101",
            "commit": agent_run.commit_101, "tokens": "1200", "cost": "0.0123",
            "engine": "scripted", "last_error": "",
        }

    def test_failed_task(self, agent_run: AgentRun) -> None:
        props = self.props(agent_run)["T-102"]
        assert props["task_id"] == "T-102"
        assert props["status"] == "failed"
        assert props["attempts"] == "2"
        assert (props["branch"], props["commit"]) == ("", "")
        assert props["tokens"] == "220"
        assert float(props["cost"]) == pytest.approx(0.002)
        assert props["engine"] == "scripted"
        assert "no passing change after 2 attempt(s)" in props["last_error"]

    def test_skipped_task_says_why(self, agent_run: AgentRun) -> None:
        props = self.props(agent_run)["T-103"]
        assert props["status"] == "pending"
        assert props["last_error"] == "skipped: dependency T-102 failed in this run"

    def test_no_secret_in_the_xml(self, agent_run: AgentRun) -> None:
        text = agent_run.junit.read_text()
        assert SECRET not in text
        assert KEY_SHAPED not in text


# -- GitHub job summary ------------------------------------------------------------


@SHARED_RUN
class TestStepSummary:
    def test_table_appended_after_earlier_content(self, agent_run: AgentRun) -> None:
        text = agent_run.summary.read_text()
        assert text.startswith(EARLIER_SUMMARY)
        assert text.count("### pytest-agent tasks") == 1
        lines = text.splitlines()
        header = lines.index(
            "| task | status | attempts | branch | commit | duration | tokens / cost |")
        rows = [ln.split(" | ") for ln in lines[header + 2: header + 5]]
        assert [r[0] for r in rows] == ["| T-101", "| T-102", "| T-103"]
        t101, t102, t103 = rows
        assert t101[1:5] == ["✅ done", "1", "`agent/T-101`", f"`{agent_run.commit_101[:12]}`"]
        assert t101[5].endswith("s")
        assert t101[6] == "1200 tok / $0.0123 |"
        assert t102[1:5] == ["❌ failed", "2", "-", "-"]
        assert t102[6] == "220 tok / $0.0020 |"
        assert t103[1:3] == ["⏭️ skipped", "0"]
        assert "**T-103**: skipped: dependency T-102 failed in this run" in text
        assert SECRET not in text

    def test_cells_stay_in_their_cells(self) -> None:
        record = TaskRecord(task_id="X", status="failed", branch="b",
                            error="a | b\nsecond line <details>")
        text = render_markdown([record])
        row = next(ln for ln in text.splitlines() if ln.startswith("| X |"))
        assert row.count(" | ") == 6
        assert "a \\| b second line &lt;details&gt;" in text

    def test_append_never_truncates(self, tmp_path: Path) -> None:
        path = tmp_path / "summary.md"
        path.write_text("before\n")
        append_step_summary(path, "one\n")
        append_step_summary(path, "two\n")
        assert path.read_text() == "before\n\none\n\ntwo\n"

    def test_nothing_written_without_the_variable(
        self, project: GitProject, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # The module's run had it set; a run without it must not invent a file.
        monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
        project.write("conftest.py", textwrap.dedent(f"""\
            def pytest_agent_localize(task, workspace, baseline, settings):
                return (), ""

            def pytest_agent_propose_diff(task, context):
                return {GREET_DIFF!r}
            """))
        project.commit_all("proposer")
        before = project.snapshot()
        result = project.pytester.runpytest("--agent-all")
        result.assert_outcomes(passed=1)
        # The task ran (the summary would have had its row) and nothing was written: the
        # project's files are the same (the plan and memory aside), no error was reported.
        assert project.snapshot() == before
        assert "pytest-agent:" not in result.stdout.str()


# -- the HTML page -------------------------------------------------------------------


@SHARED_RUN
class TestHtmlPage:
    @pytest.fixture(scope="class")
    @staticmethod
    def dom(agent_run: AgentRun) -> Node:
        # A static method: pytest 9.2 deprecates class-scoped fixtures on instances.
        return parse(agent_run.page.read_text(encoding="utf-8"))

    def test_written_and_announced(self, agent_run: AgentRun) -> None:
        assert f"pytest-agent report: {agent_run.page}" in agent_run.output

    def test_self_contained(self, agent_run: AgentRun, dom: Node) -> None:
        assert dom.find_all("script") == []
        assert dom.find_all("img") == []
        assert [link.attrs["href"] for link in dom.find_all("link")] == ["data:,"]
        csp = next(m for m in dom.find_all("meta")
                   if m.attrs.get("http-equiv") == "Content-Security-Policy")
        assert "default-src 'none'" in csp.attrs["content"]
        # No attribute points anywhere: nothing is fetched (the CSP would refuse it too).
        def attributes(node: Node) -> Iterator[str]:
            yield from node.attrs.values()
            for child in node.children:
                if isinstance(child, Node):
                    yield from attributes(child)

        assert [v for v in attributes(dom) if "://" in v] == []
        assert "<style>" in agent_run.page.read_text(encoding="utf-8")

    def test_one_section_per_task_with_status(self, dom: Node) -> None:
        sections = dom.find_all("section", "task")
        assert [s.attrs["id"] for s in sections] == ["task-T-101", "task-T-102", "task-T-103"]
        badges = [s.find("h2").find("span", "badge").text() for s in sections]
        assert badges == ["done", "failed", "skipped"]
        summary_links = [a.attrs["href"] for a in dom.find("table", "summary").find_all("a")]
        assert summary_links == ["#task-T-101", "#task-T-102", "#task-T-103"]

    def test_done_task_diff_is_coloured(self, agent_run: AgentRun, dom: Node) -> None:
        t101 = section(dom, "T-101")
        meta = t101.find("dl", "meta").text()
        assert agent_run.commit_101 in meta and "agent/T-101" in meta
        assert "1200 tok / $0.0123" in meta
        (attempt,) = t101.find_all("details", "attempt")
        assert "open" in attempt.attrs
        spans = attempt.find("pre", "diff").find_all("span")
        assert [s.text() for s in spans] == GREET_DIFF.splitlines()
        kinds = [next(iter(s.classes)) for s in spans]
        assert kinds == ["file", "file", "hunk", "ctx", "ctx", "add", "add", "add", "add"]
        assert attempt.find("ul", "tests").text() == "tests/test_hello.py::test_greet: passed"

    def test_failed_task_shows_every_attempt(self, dom: Node) -> None:
        t102 = section(dom, "T-102")
        first, second = t102.find_all("details", "attempt")
        assert "open" not in first.attrs and "open" in second.attrs
        headings = [h.text() for h in first.find_all("h3")]
        assert headings == ["Proposal", "Verify", "Lint", "Reflexion"]
        assert "F401" in first.find("ul", "lint").text()
        assert "+import os" in [s.text() for s in first.find("pre", "diff").find_all("span", "add")]
        headings = [h.text() for h in second.find_all("h3")]
        assert headings == ["Proposal", "Verify", "Reflexion"]
        assert second.find("ul", "tests").text() == "tests/test_hello.py::test_greet: failed"
        outputs = [p.text() for p in second.find_all("pre", "text")]
        assert any("Hello, Ada!" in o and "assert" in o for o in outputs)  # verify output
        assert second.find_all("pre", "text")[-1].text().strip()  # the reflexion
        timing = first.find("summary").text()
        assert "Attempt 1" in timing and "scripted" in timing and "s · " in timing
        assert "no passing change after 2 attempt(s)" in t102.find("p", "error").text()

    def test_text_is_escaped(self, agent_run: AgentRun, dom: Node) -> None:
        t102 = section(dom, "T-102")
        # Markup in a description, in notes and in a diff arrives as text, not elements.
        assert t102.find("p").text() == 'greet <b>loudly</b> & "quoted"'
        assert t102.find_all("b") == []
        notes = t102.find("pre", "text").text()
        assert notes.startswith("<script>alert('x')</script></pre> key ")
        added = [s.text() for s in t102.find_all("pre", "diff")[1].find_all("span", "add")]
        assert '+    return f"Hi, <{name}>"' in added
        raw = agent_run.page.read_text(encoding="utf-8")
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;/pre&gt;" in raw

    def test_secrets_redacted(self, agent_run: AgentRun, dom: Node) -> None:
        raw = agent_run.page.read_text(encoding="utf-8")
        assert SECRET not in raw
        assert KEY_SHAPED not in raw
        notes = section(dom, "T-102").find("pre", "text").text()
        assert notes.endswith("key [REDACTED] and [REDACTED]")
        assert "+    # [REDACTED]" in raw

    def test_skipped_task_says_why(self, dom: Node) -> None:
        t103 = section(dom, "T-103")
        assert t103.find_all("details", "attempt") == []
        assert t103.find("p", "error").text() == "skipped: dependency T-102 failed in this run"
        assert "builds on T-102" in t103.text()


class TestXdist:
    def test_records_travel_to_the_controller(self, tmp_path: Path) -> None:
        make_project(tmp_path)
        proc = run_agent(tmp_path, "-p", "xdist.plugin", "-n", "2", "-v")
        output = proc.stdout + proc.stderr
        assert "1 failed, 1 passed, 1 skipped" in output, output
        # Workers have no terminal: no progress lines, and nothing broke for want of one.
        assert "proposing" not in output
        dom = parse((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
        # The attempts (diffs, verify, lint) exist only on the workers: they came
        # with the reports.
        assert len(section(dom, "T-101").find_all("details", "attempt")) == 1
        t102 = section(dom, "T-102").find_all("details", "attempt")
        assert len(t102) == 2
        assert "F401" in t102[0].find("ul", "lint").text()
        summary = (tmp_path / "step-summary.md").read_text()
        assert summary.count("### pytest-agent tasks") == 1  # the controller, once
        assert SECRET not in summary
        # Under loadgroup the test case is named ``T-102@agent-T-102``: the task_id
        # property is the stable key.
        cases = [{p.get("name"): p.get("value") for p in c.iter("property")}
                 for c in ET.parse(tmp_path / "out" / "junit.xml").iter("testcase")]
        props = {case["task_id"]: case for case in cases}
        assert props["T-101"]["branch"] == "agent/T-101"
        assert props["T-102"]["attempts"] == "2"


# -- renderers on their own ------------------------------------------------------------


class TestRenderers:
    def test_diff_lines_inside_a_hunk_are_not_headers(self) -> None:
        diff = "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n--- not a header\n+++ nor this\n ctx\n"
        spans = parse(diff_html(diff)).find("pre", "diff").find_all("span")
        assert [next(iter(s.classes)) for s in spans] == [
            "file", "file", "hunk", "del", "add", "ctx"]

    def test_search_replace_markers_are_muted(self) -> None:
        text = "<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n"
        spans = parse(diff_html(text)).find("pre", "diff").find_all("span")
        assert [next(iter(s.classes)) for s in spans] == ["meta", "ctx", "meta", "ctx", "meta"]
        assert spans[0].text() == "<<<<<<< SEARCH"

    def test_record_json_round_trip_and_redaction(self) -> None:
        record = TaskRecord(task_id="T-1", status="failed", error=f"boom {SECRET}")
        assert TaskRecord.from_json(record.to_json()) == record
        assert record.redacted([SECRET]).error == "boom [REDACTED]"

    def test_empty_page(self) -> None:
        dom = parse(render_html([]))
        assert dom.find_all("section") == []
        assert "No task ran." in dom.text()

    def test_title_is_escaped(self) -> None:
        text = render_html([], title="<x>&")
        assert f"<title>{html.escape('<x>&')}</title>" in text


# -- a real headless Chromium ---------------------------------------------------------
#
# Debian's chromium package, installed by .ci/run (never by the tests: no test installs
# software or reaches the network). In CI (``CI=true``) a missing browser fails these
# tests; elsewhere they skip and say why. Each launch has its own profile directory and
# a timeout; the whole process group is killed on timeout.

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_CONSOLE = re.compile(r':CONSOLE(?:\(\d+\)|:\d+)?\] "(?P<message>.*)", source: ')


def _find_browser() -> str | None:
    return next((p for p in map(shutil.which, _BROWSERS) if p is not None), None)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def browser() -> str:
    path = _find_browser()
    if path is None:
        reason = (f"no headless Chromium on PATH (looked for {', '.join(_BROWSERS)}); "
                  "install Debian's chromium package (.ci/run does)")
        if _in_ci():
            pytest.fail(f"{reason}: in CI (CI=true) the browser tests must run",
                        pytrace=False)
        pytest.skip(reason)
    return path


@dataclass
class Browsed:
    stdout: str
    stderr: str

    @property
    def console(self) -> list[str]:
        """The page's console messages (errors, CSP violations, logs), from Chromium's log."""
        return [m.group("message") for m in _CONSOLE.finditer(self.stderr)]


def browse(browser: str, page: Path, tmp_path: Path, *args: str) -> Browsed:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [
        browser, "--headless", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--no-default-browser-check", "--hide-scrollbars", f"--user-data-dir={profile}",
        # Console messages go to Chromium's log on stderr as ``:CONSOLE...] "text"``.
        "--enable-logging=stderr", "--v=0", *args, page.as_uri(),
    ]
    if os.geteuid() == 0:
        command.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"chromium did not finish in 90 s: {' '.join(command)}")
    assert proc.returncode == 0, err[-2000:]
    return Browsed(out, err)


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB(A) rows of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, bpp = 8, [], 0, 0, 3
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, interlace) == (8, 0) and colour in (2, 6), (depth, colour, interlace)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    raw = zlib.decompress(b"".join(idat))
    stride, rows, prev, pos = width * bpp, [], bytearray(width * bpp), 0
    for _ in range(height):
        line = _unfilter(raw[pos], bytearray(raw[pos + 1:pos + 1 + stride]), prev, bpp)
        pos += 1 + stride
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r[i] for i in range(len(r)) if i % bpp < 3) for r in rows]


def _unfilter(kind: int, line: bytearray, prev: bytearray, bpp: int) -> bytearray:
    """Undo a PNG row filter (0 none, 1 sub, 2 up, 3 average, 4 Paeth)."""
    stride = len(line)
    if kind == 1:
        for i in range(bpp, stride):
            line[i] = (line[i] + line[i - bpp]) & 255
    elif kind == 2:
        line = bytearray((a + b) & 255 for a, b in zip(line, prev, strict=True))
    elif kind == 3:
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
    elif kind == 4:
        for i in range(stride):
            a, b = (line[i - bpp] if i >= bpp else 0), prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    return line


@dataclass
class Pixels:
    width: int
    height: int
    rows: list[bytes]  # RGB

    @classmethod
    def of(cls, png: Path) -> Pixels:
        return cls(*decode_png(png.read_bytes()))

    def luminance_stdev(self) -> float:
        values = [
            (299 * row[i] + 587 * row[i + 1] + 114 * row[i + 2]) // 1000
            for row in self.rows[::3] for i in range(0, len(row), 9)
        ]
        mean = sum(values) / len(values)
        return float((sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5)

    def count_near(self, rgb: tuple[int, int, int], tolerance: int = 12) -> int:
        r0, g0, b0 = rgb
        return sum(
            1 for row in self.rows for i in range(0, len(row), 3)
            if abs(row[i] - r0) <= tolerance and abs(row[i + 1] - g0) <= tolerance
            and abs(row[i + 2] - b0) <= tolerance
        )


@SHARED_RUN
class TestChromium:
    def test_page_loads_without_console_errors(
        self, browser: str, agent_run: AgentRun, tmp_path: Path
    ) -> None:
        shown = browse(browser, agent_run.page, tmp_path, "--dump-dom")
        assert shown.console == []
        dom = parse(shown.stdout)
        sections = dom.find_all("section", "task")
        assert [s.attrs["id"] for s in sections] == ["task-T-101", "task-T-102", "task-T-103"]
        assert [s.find("span", "badge").text() for s in sections] == ["done", "failed", "skipped"]

    def test_console_check_sees_errors(self, browser: str, tmp_path: Path) -> None:
        # The check above can fail: a report page that tried to run a script or load an
        # image is refused by its CSP, and Chromium logs that; a plain page's
        # console.error is logged too.
        page = tmp_path / "tries.html"
        page.write_text(render_html([]).replace(
            "</body>", '<img src="http://127.0.0.1:9/x.png"><script>console.log(1)</script></body>'
        ))
        console = browse(browser, page, tmp_path, "--dump-dom").console
        assert len(console) == 2
        assert all("Content Security Policy" in message for message in console)
        plain = tmp_path / "plain.html"
        plain.write_text("<!DOCTYPE html><title>x</title><script>console.error('boom')</script>")
        assert browse(browser, plain, tmp_path, "--dump-dom").console == ["boom"]

    def test_screenshot_is_not_blank(
        self, browser: str, agent_run: AgentRun, tmp_path: Path
    ) -> None:
        shot = tmp_path / "report.png"
        # Tall enough that the first task's diff is on screen whatever the summary's length.
        browse(browser, agent_run.page, tmp_path, f"--screenshot={shot}", "--window-size=1000,2400")
        pixels = Pixels.of(shot)
        assert (pixels.width, pixels.height) == (1000, 2400)
        assert pixels.luminance_stdev() > 20
        # The styles are applied: the "done" badge green and the diff's added-line green.
        assert pixels.count_near((0x1A, 0x7F, 0x37)) > 100
        assert pixels.count_near((0xDA, 0xFB, 0xE1)) > 1000

    def test_blank_check_can_fail(self, browser: str, tmp_path: Path) -> None:
        blank = tmp_path / "blank.html"
        blank.write_text("<!DOCTYPE html><title>blank</title><body></body>")
        shot = tmp_path / "blank.png"
        browse(browser, blank, tmp_path, f"--screenshot={shot}", "--window-size=400,300")
        assert Pixels.of(shot).luminance_stdev() < 1


class TestMissingBrowser:
    """What the browser tests do when there is no browser: CI fails, elsewhere a skip."""

    @pytest.mark.parametrize(("ci", "outcome"), [("true", "errors"), ("", "skipped")])
    def test_fails_in_ci_and_skips_elsewhere(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str, outcome: str
    ) -> None:
        monkeypatch.setenv("PATH", str(pytester.path / "no-browser-here"))
        monkeypatch.setenv("CI", ci)
        test = f"{Path(__file__)}::TestChromium::test_blank_check_can_fail"
        # ``-n 0``: one test needs no xdist workers (the suite's ini says ``-n 2``).
        result = pytester.runpytest_subprocess(test, "-p", "no:cacheprovider", "-rEs", "-n", "0",
                                               timeout=120)
        result.assert_outcomes(**{outcome: 1})
        line = ("*no headless Chromium on PATH*in CI (CI=true) the browser tests must run*"
                if ci else "SKIPPED*no headless Chromium on PATH*install Debian's chromium*")
        result.stdout.fnmatch_lines([line])


class TestUnwritable:
    def test_a_report_that_cannot_be_written_is_a_warning(
        self, project: GitProject, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        project.write("conftest.py", textwrap.dedent(f"""\
            def pytest_agent_localize(task, workspace, baseline, settings):
                return (), ""

            def pytest_agent_propose_diff(task, context):
                return {GREET_DIFF!r}
            """))
        project.commit_all("proposer")
        project.write("blocker", "a file where a directory is expected\n")
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(project.root / "blocker" / "summary.md"))
        result = project.pytester.runpytest("--agent-all", "--agent-report=blocker/report.html")
        # The task's outcome is the run's outcome; the reports only warn.
        result.assert_outcomes(passed=1)
        assert result.ret == 0
        result.stdout.fnmatch_lines([
            "pytest-agent: could not write the HTML report */blocker/report.html: *",
            "pytest-agent: could not append to $GITHUB_STEP_SUMMARY (*/blocker/summary.md): *",
        ])
