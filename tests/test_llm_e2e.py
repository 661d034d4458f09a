"""End to end: ``pytest --agent-all --agent-engine llm`` against a scripted chat server.

The seed's greet project (``tests/conftest.py``), a real git repository, the real
plugin and executor, the real ``openai`` client talking to ``tests/llm_server.py``.
"""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from conftest import GREET_DIFF
from conftest import GREET_PLAN
from conftest import WRONG_GREET_DIFF
from conftest import GitProject
from conftest import git
from llm_server import OLLAMA_NO_TOOLS
from llm_server import ChatServer
from llm_server import ScriptedReply
from llm_server import calls_as_text
from llm_server import chat
from llm_server import fault
from llm_server import tool_call

from pytest_agent.plan import load_plans

KEY = "sk-e2e-SECRET-fedcba9876543210"


@pytest.fixture
def server() -> Iterator[ChatServer]:
    srv = ChatServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def llm_project(
    project: GitProject, server: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> GitProject:
    monkeypatch.setenv("AGENT_BASE_URL", server.url)
    monkeypatch.setenv("AGENT_API_KEY", KEY)
    monkeypatch.setenv("AGENT_REQUEST_TIMEOUT", "2")
    monkeypatch.setenv("AGENT_TEST_TIMEOUT", "30")
    # Every inner pytest run (baseline, verify) would load all installed plugins
    # (~2 s each here); these runs need only ours (its hookspecs, for the conftest).
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTEST_PLUGINS", "pytest_agent.plugin")
    return project


@pytest.fixture
def fast_project(llm_project: GitProject) -> GitProject:
    """The LLM project with localization answered by a conftest hook: the fault and budget
    tests are about the engine, and need not pay for localization in every run."""
    llm_project.write("conftest.py", """\
        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_agent_localize(task, baseline):
            return (), "PACK: " + "; ".join(baseline.failing)
        """)
    llm_project.commit_all("localize hook")
    return llm_project


def submit(diff: str, **usage: int) -> ScriptedReply:
    return chat(tool_calls=[tool_call("submit_diff", {"diff": diff})], **usage)


def run(project: GitProject, *args: str) -> pytest.RunResult:
    return project.pytester.runpytest("--agent-all", "--agent-engine", "llm",
                                      "--junitxml=report.xml", *args)


def task_spec(project: GitProject, plan: str = "plans/sprint-12.yaml") -> object:
    return load_plans([project.root / plan])[0].spec


def assert_no_key(project: GitProject, result: pytest.RunResult) -> None:
    """The API key is nowhere: output, memory/, plans/, the junit xml, the ledger."""
    assert KEY not in "\n".join(result.outlines + result.errlines)
    for path in project.root.rglob("*"):
        if ".git" in path.parts or not path.is_file():
            continue
        assert KEY not in path.read_text(errors="replace"), path


class TestScenarios:
    def test_happy_path(self, llm_project: GitProject, server: ChatServer) -> None:
        server.queue("propose",
                     chat("Reading.", [tool_call("read_file", {"path": "src/hello.py"})]),
                     submit(GREET_DIFF))
        result = run(llm_project)
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["T-101*done*1*agent/T-101*$0.0001 (240 tok)*"])
        assert llm_project.branches() == ["agent/T-101", "main"]
        assert 'return f"Hello, {name}!"' in git(llm_project.root, "show",
                                                    "agent/T-101:src/hello.py")
        spec = task_spec(llm_project)
        assert spec.status.value == "done"  # type: ignore[attr-defined]
        assert spec.tokens == 240  # type: ignore[attr-defined]
        assert spec.cost == pytest.approx((200 * 0.15 + 40 * 0.60) / 1e6)  # type: ignore[attr-defined]
        props = {p.get("name"): p.get("value")
                 for p in ET.parse(llm_project.root / "report.xml").iter("property")}
        assert props["tokens"] == "240" and props["engine"] == "llm"
        assert float(props["cost"]) == pytest.approx(spec.cost)  # type: ignore[attr-defined]
        first = server.of("propose")[0]
        assert first.headers["authorization"] == f"Bearer {KEY}"
        assert "greet(name) returns" in first.messages[1]["content"]
        (tool_result,) = [m for m in server.of("propose")[1].messages if m["role"] == "tool"]
        assert "def other():" in tool_result["content"]
        assert_no_key(llm_project, result)

    def test_second_attempt_after_reflexion(
        self, llm_project: GitProject, server: ChatServer
    ) -> None:
        server.queue("propose", submit(WRONG_GREET_DIFF), submit(GREET_DIFF))
        server.queue("reflect", chat("What failed: CRITIQUE-7 greeting is 'Hi'. Next: 'Hello'."))
        result = run(llm_project)
        result.assert_outcomes(passed=1)
        assert task_spec(llm_project).attempts == 2  # type: ignore[attr-defined]
        (critic,) = server.of("reflect")
        assert "AssertionError" in critic.messages[1]["content"]
        second = server.of("propose")[1]
        assert "CRITIQUE-7" in second.messages[1]["content"]
        (archived,) = (llm_project.root / "memory/archive").glob("T-101-*.md")
        assert "CRITIQUE-7" in archived.read_text()
        assert_no_key(llm_project, result)

    def test_failure_after_all_retries(
        self, llm_project: GitProject, server: ChatServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("AGENT_MEMORY_LIMIT_CHARS", "500")  # the model compacts memory
        replies = {"propose": submit(WRONG_GREET_DIFF),
                   "reflect": chat("What failed: still wrong."),
                   "summarize": chat("- SUMMARY-3: 'Hi' was tried and is wrong")}
        server.fallback = lambda r: replies[r.purpose]
        result = run(llm_project, "-o", "agent_max_reflexion_retries=1")
        result.assert_outcomes(failed=1)
        assert len(server.of("propose")) == 2
        assert len(server.of("reflect")) == 2
        assert server.of("summarize")
        (archived,) = (llm_project.root / "memory/archive").glob("T-101-*.md")
        assert "SUMMARY-3" in archived.read_text()
        assert "SUMMARY-3" in server.of("propose")[1].messages[1]["content"]
        spec = task_spec(llm_project)
        assert spec.status.value == "failed"  # type: ignore[attr-defined]
        assert spec.attempts == 2  # type: ignore[attr-defined]
        assert llm_project.branches() == ["main"]
        assert_no_key(llm_project, result)


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


class TestServersAsStarted:
    def test_tool_calls_in_text_reasoning_and_a_cut_reply(
        self, fast_project: GitProject, server: ChatServer
    ) -> None:
        """Ollama with a model without tool support: the tools go into the prompt, calls
        come back as text (Hermes tags, then bare JSON); a <think> draft with the right
        diff is not taken; a cut reply is not applied; attempt 2 keeps the mode."""
        draft = f"<think>DRAFT-7 maybe:\n```diff\n{GREET_DIFF}```</think>\n"
        read = ("read_file", {"path": "src/hello.py"})
        server.behave(
            "propose",
            chat(draft + calls_as_text("hermes", read)),
            chat(calls_as_text("hermes", ("submit_diff", {"diff": WRONG_GREET_DIFF}))),
            chat(f"```diff\n{GREET_DIFF[:60]}", finish_reason="length"),
            chat(calls_as_text("json", ("submit_diff", {"diff": GREET_DIFF}))),
            refuse_tools=OLLAMA_NO_TOOLS,
        )
        server.queue("reflect", chat("What failed: the greeting is 'Hi'."))
        result = run(fast_project, "--agent-report", "report.html")
        result.assert_outcomes(passed=1)
        assert task_spec(fast_project).attempts == 2  # type: ignore[attr-defined]
        requests = server.of("propose")
        assert [r.has_tools for r in requests] == [True] + [False] * 4
        assert not any("DRAFT-7" in json.dumps(r.messages) for r in requests)
        assert "<tool_response>" in requests[2].messages[-1]["content"]
        cut, again = requests[3:]
        assert again.messages == cut.messages
        assert again.body["max_tokens"] == 2 * cut.body["max_tokens"]
        (archived,) = (fast_project.root / "memory/archive").glob("T-101-*.md")
        memory = archived.read_text()
        assert "llm mode: prompted; tool calls: hermes; results: user messages" in memory
        assert "llm hint: Ollama:" in memory
        assert "DRAFT-7" in memory  # kept, shortened, in the notes
        assert "cut at the completion-token limit" in memory
        assert "llm mode: prompted" in (fast_project.root / "report.html").read_text()


class TestFaults:
    def test_recovered_faults(
        self, fast_project: GitProject, server: ChatServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """429 (Retry-After), 5xx, malformed JSON, a dropped connection, a timeout and a
        reply without a diff, each retried within the limits, in one run."""
        # Every request of the run shares this limit: long enough that a loaded machine
        # answers the scripted replies in time, short enough for the one that never comes.
        monkeypatch.setenv("AGENT_REQUEST_TIMEOUT", "2")
        server.queue(
            "propose",
            fault(429, "slow", headers={"Retry-After": "0.2"}), fault(503),
            chat(tool_calls=[tool_call("read_file", {"path": "src/hello.py"})]),
            ScriptedReply(body=b"<html>oops"), ScriptedReply(drop=True),
            chat("I think greet is missing."),
            ScriptedReply(delay=60),  # until the client gives up (stop() ends the wait)
            submit(GREET_DIFF),
        )
        result = run(fast_project)
        result.assert_outcomes(passed=1)
        assert server.pending("propose") == 0
        assert task_spec(fast_project).attempts == 1  # type: ignore[attr-defined]

    @pytest.mark.parametrize(("replies", "message"), [
        pytest.param([fault(500)] * 3, "*LLM request failed (server-error)*after 2 tries*",
                     id="5xx"),
        pytest.param([fault(401, f"bad key {KEY}")], "*refused the API key*", id="auth"),
    ])
    def test_clear_failure(
        self, fast_project: GitProject, server: ChatServer, monkeypatch: pytest.MonkeyPatch,
        replies: list[ScriptedReply], message: str,
    ) -> None:
        monkeypatch.setenv("AGENT_REQUEST_RETRIES", "1")
        server.queue("propose", *replies)
        result = run(fast_project)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines([message])
        # A failed request ends the task: no more attempts, no critique requests.
        assert server.of("reflect") == []
        spec = task_spec(fast_project)
        assert spec.status.value == "failed"  # type: ignore[attr-defined]
        assert "LLM request failed" in spec.last_error  # type: ignore[attr-defined]
        assert_no_key(fast_project, result)

    def test_connection_refused(
        self, fast_project: GitProject, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        url = _closed_port_url()
        monkeypatch.setenv("AGENT_BASE_URL", url)
        monkeypatch.setenv("AGENT_REQUEST_RETRIES", "1")
        result = run(fast_project)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines([f"*could not connect to {url}*"])

    def test_empty_replies_then_endless_tool_calls(
        self, fast_project: GitProject, server: ChatServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Attempt 1: empty replies (nudged twice) fail the attempt; attempt 2: the model
        calls tools forever and the tool-call budget ends the task."""
        monkeypatch.setenv("AGENT_MAX_TOOL_CALLS_PER_TASK", "4")
        server.queue("propose", chat(""), chat(""), chat(""))
        server.queue("reflect", chat("What failed: no diff."))
        server.fallback = lambda r: chat(tool_calls=[tool_call("list_files", {"glob": "*"})])
        result = run(fast_project, "-o", "agent_max_reflexion_retries=3")
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*tool-call budget*4 tool calls*"])
        assert len(server.of("propose")) == 3 + 5
        assert task_spec(fast_project).attempts == 2  # type: ignore[attr-defined]


class TestBudgets:
    def test_token_budget_stops_before_any_request(
        self, fast_project: GitProject, server: ChatServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("AGENT_MAX_TOKENS_PER_TASK", "500")
        result = run(fast_project)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*token budget*max_tokens_per_task=500*"])
        assert server.requests == []

    def test_cost_budget_from_the_plan(
        self, fast_project: GitProject, server: ChatServer
    ) -> None:
        plan = fast_project.plan_text().replace(
            "    # harness-owned:", "    max_cost_per_task: 0.1501\n    # harness-owned:")
        fast_project.write("plans/sprint-12.yaml", plan)
        fast_project.commit_all("budget")
        server.queue("propose", chat(tool_calls=[tool_call("list_files", {"glob": "*"})],
                                     prompt_tokens=1_000_000, completion_tokens=0))
        result = run(fast_project)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*cost budget*max_cost_per_task=$0.1501*"])
        assert len(server.requests) == 1
        assert task_spec(fast_project).cost == pytest.approx(0.15)  # type: ignore[attr-defined]

    def test_daily_cap_across_two_runs(
        self, fast_project: GitProject, server: ChatServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("AGENT_DAILY_COST_CAP", "0.151")
        server.queue("propose", submit(GREET_DIFF, prompt_tokens=1_000_000, completion_tokens=0))
        run(fast_project).assert_outcomes(passed=1)
        ledger = fast_project.root / "memory" / "ledger.json"
        (day,) = json.loads(ledger.read_text())["days"].values()
        assert day["cost_usd"] == pytest.approx(0.15)
        # The second run, a new task: today's spending is already near the cap.
        fast_project.write("plans/next.yaml", GREET_PLAN.replace("T-101", "T-102"))
        result = run(fast_project)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*daily cost cap*daily_cost_cap=$0.1510*"])
        assert len(server.requests) == 1
        assert_no_key(fast_project, result)


class TestConfig:
    def test_missing_key_is_one_clear_error(
        self, project: GitProject, server: ChatServer
    ) -> None:
        result = project.pytester.runpytest("--agent-all", "--agent-engine", "llm")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*--agent-engine llm needs an API key*AGENT_API_KEY*"])
        assert server.requests == []
        assert task_spec(project).status.value == "pending"  # type: ignore[attr-defined]

    def test_keyless_text_mode_server_and_memory_dir(
        self, fast_project: GitProject, server: ChatServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A local server: no key (a dummy one is sent), no tool calling; memory_dir moved."""
        monkeypatch.delenv("AGENT_API_KEY")
        monkeypatch.setenv("AGENT_TOOL_MODE", "text")
        monkeypatch.setenv("AGENT_MEMORY_DIR", "agent-notes")
        server.queue("propose", chat(f"The fix:\n```diff\n{GREET_DIFF}```"))
        result = run(fast_project)
        result.assert_outcomes(passed=1)
        (request,) = server.of("propose")
        assert not request.has_tools
        assert request.headers["authorization"] == "Bearer not-needed"
        assert (fast_project.root / "agent-notes" / "ledger.json").is_file()
        assert not (fast_project.root / "memory").exists()
