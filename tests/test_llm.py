"""The LLM engine through ``propose``/``reflect``, against a real chat-completions server.

Real git repositories in tmp dirs, the real ``openai`` client, a scripted server on
127.0.0.1 (``tests/llm_server.py``). End to end through pytest: ``test_llm_e2e.py``.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from llm_server import LLAMA_CPP_NO_JINJA
from llm_server import MISTRAL_TEMPLATE_ROLES
from llm_server import OLLAMA_NO_TOOLS
from llm_server import VLLM_NO_TOOL_PARSER
from llm_server import ChatServer
from llm_server import ScriptedReply
from llm_server import calls_as_text
from llm_server import chat
from llm_server import fault
from llm_server import tool_call
from pydantic import SecretStr

from pytest_agent._types import Applied
from pytest_agent._types import AttemptRecord
from pytest_agent._types import Context
from pytest_agent._types import Critique
from pytest_agent._types import Proposal
from pytest_agent._types import Task
from pytest_agent._types import TestOutcome
from pytest_agent._types import TestRun
from pytest_agent._types import Usage
from pytest_agent._types import Verdict
from pytest_agent._types import Workspace
from pytest_agent.engines import llm
from pytest_agent.engines.llm._budget import BudgetStop
from pytest_agent.engines.llm._budget import DailyLedger
from pytest_agent.engines.llm._budget import lookup_price
from pytest_agent.engines.llm._client import _retry_after
from pytest_agent.engines.llm._prompts import extract_diff
from pytest_agent.engines.llm._reasoning import split_reasoning
from pytest_agent.engines.llm._textcalls import find_text_calls
from pytest_agent.engines.llm._tools import TOOL_NAMES
from pytest_agent.engines.llm._tools import ToolBox
from pytest_agent.engines.llm._tools import ToolError
from pytest_agent.settings import AgentSettings

KEY = "sk-test-SECRET-0123456789abcdef"

GOOD_DIFF = """\
--- a/hello.py
+++ b/hello.py
@@ -1,2 +1,6 @@
 def other():
     return 1
+
+
+def greet(name):
+    return f"Hello, {name}!"
"""

BAD_DIFF = """\
--- a/hello.py
+++ b/hello.py
@@ -1,2 +1,3 @@
 def something_else():
     return 2
+# nope
"""


@pytest.fixture
def server() -> Iterator[ChatServer]:
    srv = ChatServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "tests").mkdir(parents=True)
    (root / "hello.py").write_text("def other():\n    return 1\n")
    (root / "tests" / "test_hello.py").write_text(
        "from hello import greet\n\n\ndef test_greet():\n    assert greet('Ada') == 'Hello, Ada!'\n"
    )
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e", "PATH": "/usr/bin:/bin:/usr/local/bin"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=env,
                       timeout=60)
    return root


TASK = Task(id="T-1", description="greet(name) returns 'Hello, <name>!'",
            accept_tests=("tests/test_hello.py::test_greet",), files=("hello.py",))


def make_settings(server: ChatServer | None, **changes: Any) -> AgentSettings:
    values: dict[str, Any] = {
        "engine": "llm",
        "base_url": server.url if server else None,
        "api_key": SecretStr(KEY),
        # Generous: a loaded CI machine must not turn a scripted reply into a timeout.
        "request_timeout": 10.0,
        "request_retries": 2,
        "test_timeout": 30.0,
    }
    values.update(changes)
    return AgentSettings(**values)


def workspace(repo: Path) -> Workspace:
    return Workspace(root=repo, branch="agent/T-1", base_commit="HEAD", repo_root=repo)


def context(repo: Path, **changes: Any) -> Context:
    ctx = Context(task=TASK, workspace=workspace(repo), attempt=1, baseline=None,
                  pack="PACK: hello.py has no greet()", memory="")
    return ctx.replace(**changes) if changes else ctx


def propose(repo: Path, settings: AgentSettings, **ctx: Any) -> Proposal:
    result = llm.propose(TASK, context(repo, **ctx), workspace(repo), settings)
    assert result is not None
    return result


def tool_results(record: Any) -> list[str]:
    return [m["content"] for m in record.messages if m["role"] == "tool"]


class TestHappyPath:
    def test_read_then_submit(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose",
                     chat("Let me look.", [tool_call("read_file", {"path": "hello.py"})]),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == GOOD_DIFF
        assert proposal.stop_reason is None
        assert proposal.engine == "llm"
        assert "Let me look." in proposal.notes
        assert proposal.usage.requests == 2
        assert proposal.usage.tool_calls == 2
        assert proposal.usage.prompt_tokens == 200
        assert proposal.usage.completion_tokens == 40
        assert proposal.usage.cost_usd == pytest.approx((200 * 0.15 + 40 * 0.60) / 1e6)
        first, second = server.of("propose")
        assert first.has_tools
        assert first.headers["authorization"] == f"Bearer {KEY}"
        user = first.messages[1]["content"]
        assert "PACK: hello.py has no greet()" in user
        assert "tests/test_hello.py::test_greet" in user
        assert "greet(name) returns" in user
        (result,) = tool_results(second)
        assert "1  def other():" in result
        # The workspace itself is untouched: the harness applies the proposal.
        assert "greet" not in (repo / "hello.py").read_text()

    def test_text_mode(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", chat(f"Here it is:\n```diff\n{GOOD_DIFF}```\n"))
        proposal = propose(repo, make_settings(server, tool_mode="text"))
        assert proposal.diff == GOOD_DIFF
        (request,) = server.of("propose")
        assert not request.has_tools
        assert "```diff" in request.messages[0]["content"]

    def test_auto_falls_back_to_text_when_tools_are_rejected(
        self, server: ChatServer, repo: Path
    ) -> None:
        server.queue("propose", fault(400, "this model does not support tools"),
                     chat(f"```diff\n{GOOD_DIFF}```"))
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == GOOD_DIFF
        first, second = server.of("propose")
        assert first.has_tools and not second.has_tools

    def test_llama_cpp_style_500_for_tools_falls_back(
        self, server: ChatServer, repo: Path
    ) -> None:
        server.queue("propose", fault(500, "tools param requires --jinja flag"),
                     chat(f"```diff\n{GOOD_DIFF}```"))
        assert propose(repo, make_settings(server)).diff == GOOD_DIFF
        assert [r.has_tools for r in server.of("propose")] == [True, False]

    def test_text_mode_shows_the_task_files(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", chat(f"```diff\n{GOOD_DIFF}```"))
        propose(repo, make_settings(server, tool_mode="text"), pack="")
        user = server.of("propose")[0].messages[1]["content"]
        assert "   1  def other():" in user

    def test_parameters_the_server_refuses_are_dropped(
        self, server: ChatServer, repo: Path
    ) -> None:
        server.queue(
            "propose",
            fault(400, "Unsupported parameter: 'max_tokens'; use 'max_completion_tokens'."),
            fault(400, "Unsupported value: 'temperature' does not support 0.0"),
            chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]),
        )
        proposal = propose(repo, make_settings(server, request_retries=0))
        assert proposal.diff == GOOD_DIFF
        last = server.of("propose")[-1].body
        assert "max_tokens" not in last and last["max_completion_tokens"] > 0
        assert "temperature" not in last

    def test_native_mode_reports_rejected_tools(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", fault(400, "tools are not supported"))
        proposal = propose(repo, make_settings(server, tool_mode="native"))
        assert proposal.diff == ""
        assert proposal.stop_reason is not None and "tool_mode" in proposal.stop_reason

    def test_memory_of_earlier_attempts_in_first_message(
        self, server: ChatServer, repo: Path
    ) -> None:
        server.queue("propose", chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        memory = ("### Attempt 1 · Context\n\n~~~~\nPACK-COPY\n~~~~\n\n"
                  "### Attempt 1 · Reflexion\n\nWrong greeting.\n")
        propose(repo, make_settings(server), memory=memory, attempt=2)
        user = server.of("propose")[0].messages[1]["content"]
        assert "Wrong greeting." in user
        assert "PACK-COPY" not in user  # the pack is in the message once, not twice
        assert "attempt 2" in user


class TestContext:
    def test_context_length_error_elides_old_tool_output_once(
        self, server: ChatServer, repo: Path
    ) -> None:
        (repo / "big.py").write_text("".join(f"x{i} = {i}\n" for i in range(3000)))
        server.queue(
            "propose",
            chat(tool_calls=[tool_call("read_file", {"path": "big.py"})]),
            chat(tool_calls=[tool_call("read_file", {"path": "hello.py"})]),
            fault(400, "This model's maximum context length is 8192 tokens."),
            chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]),
        )
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == GOOD_DIFF
        retried = server.of("propose")[3]
        big, small = tool_results(retried)
        assert big.startswith("[older tool output elided")
        assert "def other():" in small  # the newest turn's output is kept
        assert "did not fit" in proposal.notes

    def test_context_length_error_asks_for_a_shorter_answer_once(
        self, server: ChatServer, repo: Path
    ) -> None:
        too_long = fault(400, "prompt is too long: 300000 tokens > 200000 maximum")
        server.queue("propose", too_long, too_long)
        proposal = propose(repo, make_settings(server))
        assert proposal.stop_reason is not None and "context-length" in proposal.stop_reason
        first, second = server.of("propose")
        assert second.body["max_tokens"] == first.body["max_tokens"] // 2

    def test_credentials_in_base_url_are_not_repeated(self, repo: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        url = f"http://user:hunter2pass@127.0.0.1:{port}/v1?api-key=QUERYSECRET99"
        proposal = propose(repo, make_settings(None, base_url=url, request_retries=0))
        assert proposal.stop_reason is not None
        assert "could not connect" in proposal.stop_reason
        assert "hunter2pass" not in proposal.stop_reason + proposal.notes
        assert "QUERYSECRET99" not in proposal.stop_reason + proposal.notes


class TestRefusals:
    def test_refusal_goes_back_to_the_model(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose",
                     chat(tool_calls=[tool_call("submit_diff", {"diff": BAD_DIFF})]),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == GOOD_DIFF
        (refusal,) = tool_results(server.of("propose")[1])
        assert "refused" in refusal
        assert "hello.py: hunk 1 does not match the file" in refusal

    def test_third_refusal_returns_the_diff_for_the_record(
        self, server: ChatServer, repo: Path
    ) -> None:
        bad = chat(tool_calls=[tool_call("submit_diff", {"diff": BAD_DIFF})])
        server.queue("propose", bad, bad, bad)
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == BAD_DIFF
        assert len(server.of("propose")) == 3
        assert "dry run refused" in proposal.notes

    def test_accept_tests_and_escapes_are_refused(self, server: ChatServer, repo: Path) -> None:
        edit_test = GOOD_DIFF.replace("hello.py", "tests/test_hello.py")
        escape = GOOD_DIFF.replace("a/hello.py", "a/../outside.py")
        server.queue("propose",
                     chat(tool_calls=[tool_call("submit_diff", {"diff": edit_test})]),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": escape})]),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == GOOD_DIFF
        requests = server.of("propose")
        assert "may not be edited" in tool_results(requests[1])[0]
        assert "(test-edit)" in tool_results(requests[1])[0]
        assert "(path-escape)" in tool_results(requests[2])[-1]
        assert not (repo.parent / "outside.py").exists()

    def test_patch_engine_path_rules(self, server: ChatServer, repo: Path) -> None:
        """The dry run and the tools use the patch engine's rules: .git in any case, '..'."""
        (repo / ".GIT").mkdir()
        (repo / ".GIT" / "config").write_text("[core]\n")
        git_dir = GOOD_DIFF.replace("hello.py", ".GIT/config")
        escape = GOOD_DIFF.replace("hello.py", "../x")
        server.queue("propose",
                     chat(tool_calls=[tool_call("read_file", {"path": ".GIT/config"}),
                                      tool_call("read_file", {"path": "../x"}),
                                      tool_call("submit_diff", {"diff": git_dir})]),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": escape})]),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == GOOD_DIFF
        read_git, read_up, submit_git = tool_results(server.of("propose")[1])
        assert read_git.startswith("error:") and ".git" in read_git and "[core]" not in read_git
        assert read_up.startswith("error:") and "'..'" in read_up
        assert "(git-dir)" in submit_git
        assert "(path-escape)" in tool_results(server.of("propose")[2])[-1]


class TestTools:
    def test_errors_go_back_and_count(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", chat(tool_calls=[
            tool_call("rm_rf", {"path": "/"}),
            tool_call("read_file", raw="{not json"),
            tool_call("read_file", {"path": "../../etc/passwd"}),
            tool_call("read_file", {"path": "/etc/passwd"}),
            tool_call("read_file", {"path": "hello.py", "bogus": 1}),
            tool_call("grep", {"pattern": "(unclosed"}),
        ]), chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == GOOD_DIFF
        assert proposal.usage.tool_calls == 7
        results = tool_results(server.of("propose")[1])
        assert len(results) == 6
        assert all(r.startswith("error:") for r in results), results
        assert "unknown tool 'rm_rf'" in results[0]
        assert "root:" not in "".join(results)  # /etc/passwd was never read

    def test_list_grep_run_tests_static_analyze(self, server: ChatServer, repo: Path) -> None:
        (repo / "lint_me.py").write_text("import os\n")
        server.queue("propose", chat(tool_calls=[
            tool_call("list_files", {"glob": "**/*.py"}),
            tool_call("grep", {"pattern": r"def \w+", "glob": "*.py"}),
            tool_call("run_tests", {"node_ids": ["tests/test_hello.py::test_greet"]}),
            tool_call("static_analyze", {"paths": ["lint_me.py"]}),
        ]), chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        propose(repo, make_settings(server))
        listed, grepped, tested, linted = tool_results(server.of("propose")[1])
        assert "hello.py" in listed.splitlines() and "tests/test_hello.py" in listed
        assert "hello.py:1: def other():" in grepped
        # greet() does not exist yet: the test module fails to import.
        assert tested.startswith("tests/test_hello.py::test_greet: error\n")
        assert "greet" in tested
        assert "F401" in linted
        assert not (repo / ".ruff_cache").exists()

    def test_globs_skip_virtualenvs_and_span_directories(self, repo: Path) -> None:
        (repo / ".venv" / "lib").mkdir(parents=True)
        (repo / ".venv" / "lib" / "site.py").write_text("x = 1\n")
        (repo / "src" / "pkg").mkdir(parents=True)
        (repo / "src" / "pkg" / "mod.py").write_text("y = 2\n")
        box = ToolBox(workspace(repo), test_timeout=10)
        assert box.call("list_files", '{"glob": "*.py"}').splitlines() == [
            "hello.py", "src/pkg/mod.py", "tests/test_hello.py"]
        assert box.call("list_files", '{"glob": "src/**/*.py"}') == "src/pkg/mod.py"
        assert box.call("list_files", '{"glob": "src/*.py"}') == "no files match 'src/*.py'"
        assert "site.py" not in box.call("grep", '{"pattern": "=", "glob": "**/*"}')
        with pytest.raises(ToolError, match=r"without '\.\.'"):
            box.call("list_files", '{"glob": "../*"}')

    def test_output_is_truncated_with_a_note(self, server: ChatServer, repo: Path) -> None:
        (repo / "big.py").write_text("".join(f"x{i} = {i}\n" for i in range(5000)))
        server.queue("propose", chat(tool_calls=[tool_call("read_file", {"path": "big.py"})]),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        propose(repo, make_settings(server))
        (result,) = tool_results(server.of("propose")[1])
        assert len(result) < 9000
        assert "[output truncated:" in result

    def test_symlink_out_of_the_workspace_is_refused(
        self, server: ChatServer, repo: Path, tmp_path: Path
    ) -> None:
        (tmp_path / "secret.txt").write_text("TOP SECRET")
        (repo / "link.txt").symlink_to(tmp_path / "secret.txt")
        server.queue("propose", chat(tool_calls=[tool_call("read_file", {"path": "link.txt"})]),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        propose(repo, make_settings(server))
        (result,) = tool_results(server.of("propose")[1])
        assert "outside the repository" in result
        assert "TOP SECRET" not in result


class TestNoDiff:
    def test_nudged_then_diff(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", chat("I think greet is missing."),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == GOOD_DIFF
        assert "no diff" in server.of("propose")[1].messages[-1]["content"]

    def test_empty_replies_end_the_attempt(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", chat(""), chat(""), chat(""), chat(""))
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == ""
        assert proposal.stop_reason is None  # the attempt fails; the task may retry
        assert "no diff" in proposal.notes
        assert len(server.of("propose")) == 3
        assert "empty" in server.of("propose")[1].messages[-1]["content"]


class TestBudgets:
    def test_tool_calls_stop_the_task(self, server: ChatServer, repo: Path) -> None:
        server.fallback = lambda _: chat(tool_calls=[tool_call("list_files", {"glob": "*"})])
        proposal = propose(repo, make_settings(server, max_tool_calls_per_task=3))
        assert proposal.diff == ""
        assert proposal.stop_reason is not None
        assert "tool-call budget" in proposal.stop_reason
        assert proposal.usage.tool_calls == 3
        assert len(server.requests) == 4  # the 4th reply asked for a 4th call: refused
        assert "tool call(s) left" in tool_results(server.requests[1])[0]

    def test_tool_calls_counted_across_attempts(self, server: ChatServer, repo: Path) -> None:
        earlier = AttemptRecord(1, Proposal(diff="x", usage=Usage(tool_calls=3)), None, None,
                                None, 0.1)
        proposal = propose(repo, make_settings(server, max_tool_calls_per_task=3),
                           history=(earlier,), attempt=2)
        assert proposal.stop_reason is not None and "tool-call budget" in proposal.stop_reason
        assert server.requests == []

    def test_token_budget_stops_before_the_request(self, server: ChatServer, repo: Path) -> None:
        proposal = propose(repo, make_settings(server, max_tokens_per_task=600))
        assert proposal.stop_reason is not None
        assert "max_tokens_per_task=600" in proposal.stop_reason
        assert server.requests == []
        assert proposal.usage.requests == 0

    def test_token_budget_mid_conversation(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", chat(tool_calls=[tool_call("list_files", {"glob": "*"})],
                                     prompt_tokens=2500, completion_tokens=100))
        proposal = propose(repo, make_settings(server, max_tokens_per_task=3000))
        assert proposal.stop_reason is not None and "token budget" in proposal.stop_reason
        assert len(server.requests) == 1
        assert proposal.usage.total_tokens == 2600

    def test_cost_budget(self, server: ChatServer, repo: Path) -> None:
        # 1M prompt tokens of gpt-4o-mini cost $0.15: a second request cannot fit in $0.1501.
        server.queue("propose", chat(tool_calls=[tool_call("list_files", {"glob": "*"})],
                                     prompt_tokens=1_000_000, completion_tokens=0))
        proposal = propose(repo, make_settings(server, max_cost_per_task=0.1501))
        assert proposal.stop_reason is not None
        assert "max_cost_per_task" in proposal.stop_reason
        assert len(server.requests) == 1
        assert proposal.usage.cost_usd == pytest.approx(0.15)

    def test_daily_cap_across_runs(self, server: ChatServer, repo: Path) -> None:
        settings = make_settings(server, daily_cost_cap=0.151)
        server.queue("propose", chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})],
                                     prompt_tokens=1_000_000, completion_tokens=0))
        first = propose(repo, settings)
        assert first.diff == GOOD_DIFF
        ledger = repo / "memory" / "ledger.json"
        data = json.loads(ledger.read_text())
        (day,) = data["days"].values()
        assert day["cost_usd"] == pytest.approx(0.15)
        # A new run (fresh history): today's spending is in the ledger.
        second = propose(repo, settings)
        assert second.stop_reason is not None and "daily cost cap" in second.stop_reason
        assert len(server.requests) == 1
        assert KEY not in ledger.read_text()

    def test_ledger_reservations_are_atomic_across_threads(self, tmp_path: Path) -> None:
        ledger = DailyLedger(tmp_path / "memory" / "ledger.json", cap=0.5)
        outcomes: list[bool] = []

        def reserve() -> None:
            try:
                ledger.reserve(0.1)
            except BudgetStop:
                outcomes.append(False)
            else:
                outcomes.append(True)

        threads = [threading.Thread(target=reserve) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes) == [False] * 7 + [True] * 5
        assert ledger.spent_today() == pytest.approx(0.5)
        ledger.settle(0.1, 0.02)
        assert ledger.spent_today() == pytest.approx(0.42)

    def test_corrupt_ledger_is_kept_aside(self, tmp_path: Path) -> None:
        path = tmp_path / "ledger.json"
        path.write_text("{torn")
        ledger = DailyLedger(path, cap=1.0)
        ledger.reserve(0.25)
        assert ledger.spent_today() == pytest.approx(0.25)
        assert (tmp_path / "ledger.json.corrupt").read_text() == "{torn"

    def test_unknown_model_reports_tokens_only(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server, model="local-llama"))
        assert proposal.usage.cost_usd is None
        assert proposal.usage.total_tokens == 120
        assert not (repo / "memory").exists()

    def test_price_table(self) -> None:
        assert lookup_price("gpt-4o-mini-2024-07-18", {}) == (0.15, 0.60, 0.075)
        assert lookup_price("openai/gpt-4o", {}) == (2.50, 10.00, 1.25)
        assert lookup_price("gpt-4-turbo", {}) == (10.00, 30.00, None)  # no cached rate
        assert lookup_price("my-model", {"my-model": (1.0, 2.0)}) == (1.0, 2.0, None)
        assert lookup_price("my-model", {"my-model": (1.0, 2.0, 0.1)}).cached == 0.1  # type: ignore[union-attr]
        assert lookup_price("llama3", {}) is None


class TestFaults:
    def test_429_honours_retry_after(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", fault(429, "slow down", headers={"Retry-After": "0.6"}),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == GOOD_DIFF
        assert proposal.usage.requests == 2
        (gap,) = server.gaps()
        assert gap >= 0.6  # the retry came after the wait the server asked for

    def test_429_retry_after_too_long_fails_clearly(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", fault(429, "quota", headers={"Retry-After": "3600"}))
        proposal = propose(repo, make_settings(server))
        assert proposal.stop_reason is not None
        assert "3600" in proposal.stop_reason and "rate-limit" in proposal.stop_reason
        assert "giving up" in proposal.stop_reason
        assert len(server.requests) == 1  # no retry: the wait is longer than request_timeout

    def test_503_retry_after_is_honoured(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", fault(503, "busy", headers={"Retry-After": "0.5"}),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        assert propose(repo, make_settings(server)).diff == GOOD_DIFF
        (gap,) = server.gaps()
        assert gap >= 0.5

    def test_5xx_retried(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", fault(502), fault(503),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        assert propose(repo, make_settings(server)).diff == GOOD_DIFF

    def test_5xx_until_retries_are_spent(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", fault(500), fault(500), fault(500), fault(500))
        proposal = propose(repo, make_settings(server, request_retries=2))
        assert proposal.stop_reason is not None
        assert "server-error" in proposal.stop_reason and "after 3 tries" in proposal.stop_reason
        assert len(server.requests) == 3
        assert proposal.usage.requests == 3

    def test_timeout(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", ScriptedReply(delay=30), ScriptedReply(delay=30))
        proposal = propose(repo, make_settings(server, request_timeout=0.5, request_retries=1))
        assert proposal.stop_reason is not None and "timed out" in proposal.stop_reason
        assert "after 2 tries" in proposal.stop_reason
        assert len(server.requests) == 2 and server.pending("propose") == 0

    def test_trickling_reply_is_cut_at_the_deadline(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", ScriptedReply(json=chat("x").json, trickle=0.5),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server, request_timeout=2.0))
        assert proposal.diff == GOOD_DIFF
        assert proposal.usage.requests == 2  # the trickle was abandoned, then retried

    def test_connection_refused(self, repo: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        settings = make_settings(None, base_url=f"http://127.0.0.1:{port}/v1", request_retries=1)
        proposal = propose(repo, settings)
        assert proposal.stop_reason is not None
        assert "could not connect" in proposal.stop_reason
        assert f"127.0.0.1:{port}" in proposal.stop_reason

    def test_dropped_connection_and_malformed_json_are_retried(
        self, server: ChatServer, repo: Path
    ) -> None:
        server.queue("propose", ScriptedReply(drop=True), ScriptedReply(body=b"{not json"),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == GOOD_DIFF
        assert proposal.usage.requests == 3

    def test_json_without_choices(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", ScriptedReply(json={"choices": []}),
                     ScriptedReply(json={"object": "error"}), ScriptedReply(json=[]))
        proposal = propose(repo, make_settings(server))
        assert proposal.stop_reason is not None and "malformed" in proposal.stop_reason

    def test_auth_error_names_the_remedy_not_the_key(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", fault(401, f"Incorrect API key provided: {KEY}"))
        proposal = propose(repo, make_settings(server))
        assert proposal.stop_reason is not None
        assert "AGENT_API_KEY" in proposal.stop_reason
        assert KEY not in proposal.stop_reason and KEY not in proposal.notes
        assert len(server.requests) == 1

    def test_retry_after_http_date(self) -> None:
        assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
        assert _retry_after("2") == 2.0
        assert _retry_after("soon") is None


def failed_attempt(diff: str = GOOD_DIFF) -> tuple[AttemptRecord, Verdict]:
    run = TestRun(outcomes={"tests/test_hello.py::test_greet": TestOutcome.FAILED},
                  failures={"tests/test_hello.py::test_greet": "AssertionError: 'Hi' != 'Hello'"},
                  output="", exit_code=1, duration=0.1)
    verdict = Verdict(passed=False, tests=run, summary="1 accept test failed")
    proposal = Proposal(diff=diff, engine="llm", usage=Usage(prompt_tokens=10, requests=1))
    return AttemptRecord(1, proposal, Applied(ok=True, changed_files=("hello.py",)), verdict,
                         None, 0.1), verdict


class TestReflect:
    def test_critique(self, server: ChatServer, repo: Path) -> None:
        server.queue("reflect", chat("What failed: greeting. Why: 'Hi'. Next: use 'Hello'."))
        attempt, verdict = failed_attempt()
        critique = llm.reflect(TASK, attempt, verdict, context(repo), make_settings(server))
        assert isinstance(critique, Critique)
        assert critique.text.startswith("What failed")
        assert critique.usage.requests == 1 and critique.usage.total_tokens == 120
        (request,) = server.of("reflect")
        assert not request.has_tools
        user = request.messages[1]["content"]
        assert "AssertionError: 'Hi' != 'Hello'" in user
        assert "+def greet(name):" in user

    def test_failure_falls_back_to_the_default(self, server: ChatServer, repo: Path) -> None:
        server.queue("reflect", fault(500), fault(500), fault(500))
        attempt, verdict = failed_attempt()
        assert llm.reflect(TASK, attempt, verdict, context(repo), make_settings(server)) is None

    def test_budget_spent_falls_back(self, server: ChatServer, repo: Path) -> None:
        attempt, verdict = failed_attempt()
        settings = make_settings(server, max_tokens_per_task=300)
        assert llm.reflect(TASK, attempt, verdict, context(repo), settings) is None
        assert server.requests == []

    def test_summarize(self, server: ChatServer, repo: Path) -> None:
        server.queue("summarize", chat("- tried 'Hi'; wrong"))
        summary = llm.summarize(f"### Attempt 1\n\nkey {KEY}", make_settings(server),
                                repo_root=repo)
        assert summary == "- tried 'Hi'; wrong"
        assert KEY not in json.dumps(server.of("summarize")[0].body)


def test_summarize_charges_the_ledger_of_the_memory_it_compacts(
    server: ChatServer, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "memory" / "scratch").mkdir(parents=True)
    monkeypatch.chdir(repo / "tests")
    server.queue("summarize", chat("- short", prompt_tokens=1_000_000, completion_tokens=0))
    assert llm.summarize("### Attempt 1\n\nlong notes", make_settings(server)) == "- short"
    assert (repo / "memory" / "ledger.json").is_file()
    assert not (repo / "tests" / "memory").exists()


class TestCheckConfig:
    def test_missing_key(self) -> None:
        message = llm.check_config(AgentSettings(engine="llm"))
        assert message is not None and "AGENT_API_KEY" in message

    def test_base_url_without_key_is_fine(self) -> None:
        assert llm.check_config(AgentSettings(engine="llm", base_url="http://127.0.0.1:1/v1")) \
            is None

    def test_offline_needs_nothing(self) -> None:
        assert llm.check_config(AgentSettings(engine="offline")) is None

    def test_bad_url(self) -> None:
        message = llm.check_config(AgentSettings(engine="llm", base_url="localhost:8000"))
        assert message is not None and "http" in message

    def test_cap_needs_a_price(self) -> None:
        settings = AgentSettings(engine="llm", base_url="http://h/v1", model="llama3",
                                 daily_cost_cap=1.0)
        message = llm.check_config(settings)
        assert message is not None and "'llama3'" in message and "prices" in message
        priced = settings.model_copy(update={"prices": {"llama3": (0.0, 0.0)}})
        assert llm.check_config(priced) is None


def test_extract_diff_variants() -> None:
    assert extract_diff(f"```diff\n{GOOD_DIFF}```") == GOOD_DIFF
    assert extract_diff(f"~~~\n{GOOD_DIFF}~~~\nthanks") == GOOD_DIFF
    assert extract_diff(f"Sure.\n{GOOD_DIFF}") == GOOD_DIFF
    assert extract_diff("```python\nprint(1)\n```") == ""
    assert extract_diff("no diff here") == ""


# -- tool calls in text, reasoning, cut-off replies, dialects, prompt caching (#16) --------

READ = ("read_file", {"path": "hello.py"})
GREP = ("grep", {"pattern": "def", "glob": "*.py"})
SUBMIT_GOOD = ("submit_diff", {"diff": GOOD_DIFF})
TEXT_DIALECTS = ("hermes", "qwen3-xml", "mistral", "llama3", "json", "fence")


def said(dialect: str, *calls: tuple[str, dict[str, Any]], **kw: Any) -> ScriptedReply:
    """A reply whose tool calls are in the text, no ``tool_calls`` field."""
    return chat(calls_as_text(dialect, *calls), **kw)


def parsed(text: str) -> list[tuple[str, dict[str, Any], str]]:
    return [(c.name, json.loads(c.arguments), c.dialect) for c in find_text_calls(text, TOOL_NAMES)]


class TestTextCallParser:
    @pytest.mark.parametrize("dialect", TEXT_DIALECTS)
    def test_each_dialect_several_calls(self, dialect: str) -> None:
        name = "hermes" if dialect == "qwen3-xml" else dialect
        assert parsed(calls_as_text(dialect, READ, GREP)) == [
            ("read_file", {"path": "hello.py"}, name),
            ("grep", {"pattern": "def", "glob": "*.py"}, name),
        ]

    @pytest.mark.parametrize("dialect", TEXT_DIALECTS)
    def test_submit_diff_keeps_the_whole_diff(self, dialect: str) -> None:
        ((name, args, _),) = parsed(calls_as_text(dialect, SUBMIT_GOOD))
        assert name == "submit_diff" and args["diff"].rstrip("\n") == GOOD_DIFF.rstrip("\n")

    def test_other_shapes(self) -> None:
        assert parsed('[TOOL_CALLS]read_file[ARGS]{"path": "hello.py"}') == [
            ("read_file", {"path": "hello.py"}, "mistral")]
        openai_shape = {"type": "function", "function": {
            "name": "read_file", "arguments": json.dumps({"path": "hello.py"})}}
        assert parsed("Reading it.\n" + json.dumps(openai_shape)) == [
            ("read_file", {"path": "hello.py"}, "json")]
        assert parsed('<tool_call>{"name": "list_files"}</tool_call>') == [
            ("list_files", {}, "hermes")]

    @pytest.mark.parametrize("text", [
        pytest.param("I will call read_file on hello.py next.", id="mention"),
        pytest.param("Use <tool_call> tags to call read_file.", id="mention-tag"),
        pytest.param('{"name": "my-package", "version": "1.0"}', id="json-not-a-call"),
        pytest.param('{"name": "read_file"}', id="bare-without-arguments"),
        pytest.param('See {"name": "read_file", "arguments": {"path": "x"}} here.', id="inline"),
        pytest.param('{"name": "rm_rf", "arguments": {"path": "/"}}', id="unknown-tool"),
        pytest.param('{"name": "read_file", "arguments": ["x"]}', id="arguments-not-object"),
        pytest.param('{"name": "read_file", "arguments": {}, "extra": 1}', id="extra-key"),
        pytest.param('<tool_call>\n{"name": "read_file", "arguments": {"path": "x"}',
                     id="cut-half-way"),
        pytest.param('[{"name": "read_file", "arguments": {}}, {"name": "nope", "arguments": {}}]',
                     id="list-with-a-bad-call"),
        pytest.param("```diff\n--- a/p.py\n+++ b/p.py\n@@ -1 +1 @@\n-x\n"
                     '+<tool_call>{"name": "read_file", "arguments": {}}</tool_call>\n```',
                     id="inside-a-diff"),
        pytest.param("--- a/p.py\n+++ b/p.py\n@@ -1 +1 @@\n-x\n"
                     '+{"name": "read_file", "arguments": {"path": "p.py"}}\n', id="diff-line"),
    ])
    def test_not_a_call(self, text: str) -> None:
        assert find_text_calls(text, TOOL_NAMES) == []

    @given(st.text(max_size=300))
    @hsettings(max_examples=300, deadline=None)
    def test_garbage_is_never_a_call(self, text: str) -> None:
        assert find_text_calls(text, TOOL_NAMES) == []

    @given(st.lists(st.sampled_from([
        "<tool_call>", "</tool_call>", "[TOOL_CALLS]", "<|python_tag|>", "```json\n", "```\n",
        "[ARGS]", "{", "}", "[", "]", '"name"', '"arguments"', '"parameters"', ": ", ", ",
        '"read_file"', '"rm_rf"', '"path"', '"hello.py"', "read_file", "\n", " ", "null", "7",
        '"', "--- a/x.py\n", "+++ b/x.py\n", "@@ -1 +1 @@\n", "<think>", "</think>",
        "<function=read_file>", "<parameter=path>", "</parameter>", "</function>", ";",
    ]), max_size=40).map("".join))
    @hsettings(max_examples=400, deadline=None)
    def test_fragment_soup_gives_only_whole_calls(self, text: str) -> None:
        for call in find_text_calls(text, TOOL_NAMES):
            assert call.name in TOOL_NAMES and call.name in text
            assert isinstance(json.loads(call.arguments), dict)

    @given(st.sampled_from(TEXT_DIALECTS), st.integers(min_value=0, max_value=10_000))
    @hsettings(max_examples=300, deadline=None)
    def test_a_cut_reply_never_gives_half_a_call(self, dialect: str, cut: int) -> None:
        text = calls_as_text(dialect, READ, SUBMIT_GOOD)
        whole = [(c.name, c.arguments) for c in find_text_calls(text, TOOL_NAMES)]
        prefix = [(c.name, c.arguments)
                  for c in find_text_calls(text[: cut % (len(text) + 1)], TOOL_NAMES)]
        assert all(call in whole for call in prefix)  # whole calls only, never half of one


class TestTextCalls:
    @pytest.mark.parametrize("dialect", TEXT_DIALECTS)
    def test_calls_in_text_run_like_native_ones(
        self, server: ChatServer, repo: Path, dialect: str
    ) -> None:
        server.queue("propose", said(dialect, READ, GREP), said(dialect, SUBMIT_GOOD))
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == GOOD_DIFF
        assert proposal.usage.tool_calls == 3
        second = server.of("propose")[1]
        assistant = second.messages[-3]
        ids = [c["id"] for c in assistant["tool_calls"]]
        assert len(set(ids)) == 2 and all(len(i) == 9 and i.isalnum() for i in ids)
        results = [m for m in second.messages if m["role"] == "tool"]
        assert [m["tool_call_id"] for m in results] == ids
        assert "1  def other():" in results[0]["content"]
        assert "hello.py:1: def other():" in results[1]["content"]
        name = "hermes" if dialect == "qwen3-xml" else dialect
        assert f"llm mode: native; tool calls: {name}; results: tool messages" in proposal.notes
        assert "llm hint:" in proposal.notes and "--tool-call-parser" in proposal.notes

    def test_structured_calls_win(self, server: ChatServer, repo: Path) -> None:
        text = calls_as_text("hermes", ("read_file", {"path": "tests/test_hello.py"}))
        server.queue("propose", chat(text, [tool_call("read_file", {"path": "hello.py"})]),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server))
        (result,) = tool_results(server.of("propose")[1])
        assert "def other():" in result and "test_greet" not in result
        assert "tool calls: native" in proposal.notes and "llm hint" not in proposal.notes

    def test_tool_role_refused_then_results_as_user_messages(
        self, server: ChatServer, repo: Path
    ) -> None:
        server.behave("propose", said("mistral", READ), said("mistral", SUBMIT_GOOD),
                      refuse_tool_roles=MISTRAL_TEMPLATE_ROLES)
        proposal = propose(repo, make_settings(server, model="mistral-small"))
        assert proposal.diff == GOOD_DIFF
        refused, retried = server.of("propose")[1:]
        assert refused.has_tool_roles
        assert retried.body == refused.body | {"messages": retried.messages}
        assert not retried.has_tool_roles
        roles = [m["role"] for m in retried.messages]
        assert roles == ["system", "user", "assistant", "user"]
        assert retried.messages[2]["content"].startswith("[TOOL_CALLS]")
        assert "<tool_response>\n" in retried.messages[3]["content"]
        assert "1  def other():" in retried.messages[3]["content"]
        assert "results: user messages" in proposal.notes

    def test_a_call_to_a_tool_that_does_not_exist_is_named(
        self, server: ChatServer, repo: Path
    ) -> None:
        server.behave("propose", said("hermes", ("open_file", {"path": "hello.py"})),
                      said("hermes", SUBMIT_GOOD), refuse_tools=OLLAMA_NO_TOOLS)
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == GOOD_DIFF and proposal.usage.tool_calls == 1
        nudge = server.of("propose")[2].messages[-1]["content"]
        assert "There is no tool named 'open_file'; the tools are: grep, list_files" in nudge

    def test_garbage_replies_end_within_the_budgets(self, server: ChatServer, repo: Path) -> None:
        junk = ['<tool_call>{"name": "read_file", "arguments": {"path": ', "[TOOL_CALLS]oops",
                '{"name": "nope", "arguments": {}}', "<|python_tag|>print(1)"]
        server.behave("propose", *(chat(t) for t in junk))
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == "" and proposal.usage.tool_calls == 0
        assert len(server.of("propose")) == 3  # two nudges, then the attempt ends
        assert "the model gave no diff" in proposal.notes


class TestDialects:
    """One test per server as people start it; the scripted server answers like each."""

    def test_vllm_without_tool_parser(self, server: ChatServer, repo: Path) -> None:
        server.behave("propose", said("hermes", READ), said("hermes", SUBMIT_GOOD),
                      refuse_tools=VLLM_NO_TOOL_PARSER)
        settings = make_settings(server, model="Qwen/Qwen2.5-Coder-7B-Instruct")
        proposal = propose(repo, settings)
        assert proposal.diff == GOOD_DIFF
        first, *rest = server.of("propose")
        assert first.has_tools and not any(r.has_tools for r in rest)
        assert "<tools>" in rest[0].messages[0]["content"]  # the tools are in the prompt
        assert "<tool_response>" in rest[1].messages[-1]["content"]
        assert "llm mode: prompted; tool calls: hermes; results: user messages" in proposal.notes
        assert ("vLLM: start the server with --enable-auto-tool-choice --tool-call-parser "
                "hermes") in proposal.notes
        # The next attempt starts in that mode: the refused request is not repeated.
        server.behave("propose", said("hermes", SUBMIT_GOOD), refuse_tools=VLLM_NO_TOOL_PARSER)
        earlier = AttemptRecord(1, proposal, None, None, None, 0.1)
        again = propose(repo, settings, history=(earlier,), attempt=2)
        assert again.diff == GOOD_DIFF
        assert not server.requests[-1].has_tools and len(server.requests) == 4

    def test_ollama_model_without_tool_support(self, server: ChatServer, repo: Path) -> None:
        server.behave("propose", said("json", READ, fingerprint="fp_ollama"),
                      said("fence", SUBMIT_GOOD, fingerprint="fp_ollama"),
                      refuse_tools=OLLAMA_NO_TOOLS)
        proposal = propose(repo, make_settings(server, model="llama3"))
        assert proposal.diff == GOOD_DIFF
        assert "llm mode: prompted; tool calls: json" in proposal.notes
        assert "Ollama: 'llama3' has no tool support" in proposal.notes

    def test_llama_cpp_without_jinja(self, server: ChatServer, repo: Path) -> None:
        server.behave("propose", said("llama3", READ, GREP), said("llama3", SUBMIT_GOOD),
                      refuse_tools=LLAMA_CPP_NO_JINJA)
        proposal = propose(repo, make_settings(server, model="local"))
        assert proposal.diff == GOOD_DIFF
        assert proposal.usage.tool_calls == 3
        assert "llm mode: prompted; tool calls: llama3" in proposal.notes
        assert "start llama-server with --jinja" in proposal.notes

    def test_lm_studio_native_with_reasoning(self, server: ChatServer, repo: Path) -> None:
        server.behave("propose",
                      chat(tool_calls=[tool_call("read_file", {"path": "hello.py"})],
                           reasoning="Maybe call submit_diff with ```diff\n--- a/x\n```"),
                      chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server, model="qwen2.5-7b-instruct"))
        assert proposal.diff == GOOD_DIFF
        assert "llm mode: native; tool calls: native; results: tool messages" in proposal.notes
        assert "llm hint" not in proposal.notes
        sent = json.dumps(server.of("propose")[1].messages)
        assert "Maybe call" not in sent and "reasoning" not in sent

    def test_openai_cached_tokens_are_priced_at_the_cached_rate(
        self, server: ChatServer, repo: Path
    ) -> None:
        server.queue("propose",
                     chat(tool_calls=[tool_call("read_file", {"path": "hello.py"})],
                          prompt_tokens=10_000, completion_tokens=100, cached_tokens=0),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})],
                          prompt_tokens=10_000, completion_tokens=100, cached_tokens=8_000))
        proposal = propose(repo, make_settings(server, model="gpt-4o-mini"))
        fresh, cached, completion = 12_000, 8_000, 200
        assert proposal.usage.cost_usd == pytest.approx(
            (fresh * 0.15 + cached * 0.075 + completion * 0.60) / 1e6)
        assert "(8000 prompt tokens from the server's cache)" in proposal.notes

    def test_deepseek_cache_hits_and_reasoning(self, server: ChatServer, repo: Path) -> None:
        """A hosted OpenAI-compatible provider: DeepSeek's own usage fields, its
        ``reasoning_content`` (its API refuses a request that sends it back)."""
        server.queue("propose",
                     chat(tool_calls=[tool_call("read_file", {"path": "hello.py"})],
                          reasoning="THOUGHT-1 " * 200, prompt_tokens=1000, completion_tokens=50,
                          cached_tokens=0, cache_hit_field=True),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})],
                          prompt_tokens=1000, completion_tokens=50, cached_tokens=900,
                          cache_hit_field=True))
        proposal = propose(repo, make_settings(server, model="deepseek-chat"))
        assert proposal.usage.cost_usd == pytest.approx(
            (1100 * 0.27 + 900 * 0.07 + 100 * 1.10) / 1e6)
        assert "THOUGHT-1" not in json.dumps(server.of("propose")[1].messages)
        (kept,) = [line for line in proposal.notes.splitlines() if "THOUGHT-1" in line]
        assert "(reasoning, shortened)" in kept and len(kept) < 600

    def test_deepseek_thinking_mode_demands_its_reasoning_back(
        self, server: ChatServer, repo: Path
    ) -> None:
        """The one exception: a server that refuses the conversation without the reasoning
        (DeepSeek's thinking mode with tool calls) gets it back from then on."""
        server.queue("propose",
                     chat(tool_calls=[tool_call("read_file", {"path": "hello.py"})],
                          reasoning="THOUGHT-2"),
                     fault(400, "The `reasoning_content` in the thinking mode must be passed "
                                "back to the API."),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server, model="deepseek-reasoner",
                                               request_retries=0))
        assert proposal.diff == GOOD_DIFF
        refused, accepted = server.of("propose")[1:]
        assert "THOUGHT-2" not in json.dumps(refused.messages)
        (assistant,) = [m for m in accepted.messages if m["role"] == "assistant"]
        assert assistant["reasoning_content"] == "THOUGHT-2"
        assert not any(k.startswith("_") for m in accepted.messages for k in m)

    def test_model_without_a_cached_rate_pays_the_full_rate(
        self, server: ChatServer, repo: Path
    ) -> None:
        server.queue("propose", chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})],
                                     prompt_tokens=1000, completion_tokens=0, cached_tokens=1000))
        proposal = propose(repo, make_settings(server, model="gpt-4-turbo"))
        assert proposal.usage.cost_usd == pytest.approx(1000 * 10.00 / 1e6)


class TestPromptCaching:
    def test_system_and_tools_are_byte_identical_across_the_task(
        self, server: ChatServer, repo: Path
    ) -> None:
        server.queue("propose", chat("thinking aloud"),
                     chat(tool_calls=[tool_call("read_file", {"path": "hello.py"})]),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": BAD_DIFF})]),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        first = propose(repo, make_settings(server))
        server.queue("propose", chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        propose(repo, make_settings(server), attempt=2,
                history=(AttemptRecord(1, first, None, None, None, 0.1),))
        requests = server.of("propose")
        assert len(requests) == 5
        assert len({r.prefix for r in requests}) == 1
        assert all(r.messages[0]["role"] == "system" for r in requests)
        assert all(list(r.body)[:2] == ["model", "messages"] or "tools" in r.body
                   for r in requests)

    def test_prompted_mode_prefix_is_stable_too(self, server: ChatServer, repo: Path) -> None:
        server.behave("propose", said("hermes", READ), chat("no idea"),
                      said("hermes", SUBMIT_GOOD), refuse_tools=OLLAMA_NO_TOOLS)
        propose(repo, make_settings(server))
        prompted = server.of("propose")[1:]
        assert len(prompted) == 3 and len({r.prefix for r in prompted}) == 1


class TestReasoning:
    def test_think_block_with_a_draft_diff_is_not_the_answer(
        self, server: ChatServer, repo: Path
    ) -> None:
        draft = f"<think>First idea:\n```diff\n{BAD_DIFF}```\nno, wrong.</think>\n"
        server.queue("propose", chat(draft + f"```diff\n{GOOD_DIFF}```"))
        proposal = propose(repo, make_settings(server, tool_mode="text"))
        assert proposal.diff == GOOD_DIFF
        assert "something_else" not in proposal.notes.split("(reasoning, shortened)")[0]

    def test_think_block_only_is_no_answer(self, server: ChatServer, repo: Path) -> None:
        thought = f"<think>Call {calls_as_text('hermes', READ)} then {GOOD_DIFF}</think>"
        server.queue("propose", chat(thought),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server))
        assert proposal.usage.tool_calls == 1  # only the submission: nothing mined
        second = server.of("propose")[1]
        assert "<think>" not in json.dumps(second.messages)
        assert "Your reply was empty." in second.messages[-1]["content"]

    @pytest.mark.parametrize(("content", "fields", "answer", "reasoning"), [
        ("<think>a</think>b", {}, "b", "a"),
        ("a</think>b", {}, "b", "a"),  # the template opened the block
        ("x<think>a", {}, "x", "a"),  # cut while thinking
        ("<THINKING>a</THINKING> b <think>c</think>", {}, "b", "a\n\nc"),
        ("b", {"reasoning_content": "a"}, "b", "a"),
        ("b", {"reasoning": "a"}, "b", "a"),
        ("b", {}, "b", ""),
    ])
    def test_split(self, content: str, fields: dict[str, str], answer: str,
                   reasoning: str) -> None:
        assert split_reasoning(content, fields) == (answer, reasoning)


class TestCutOff:
    def test_half_a_diff_is_never_applied(self, server: ChatServer, repo: Path) -> None:
        half = GOOD_DIFF[: len(GOOD_DIFF) // 2]
        server.queue("propose", chat(f"```diff\n{half}", finish_reason="length"),
                     chat(f"```diff\n{GOOD_DIFF}```"))
        proposal = propose(repo, make_settings(server, tool_mode="text"))
        assert proposal.diff == GOOD_DIFF
        first, second = server.of("propose")
        assert second.body["max_tokens"] == 2 * first.body["max_tokens"]
        assert second.messages == first.messages  # asked again, same prompt: cache hits
        assert "cut at the completion-token limit (4096 tokens) and not used" in proposal.notes

    def test_cut_submission_is_not_run(self, server: ChatServer, repo: Path) -> None:
        cut_call = chat(calls_as_text("hermes", SUBMIT_GOOD)[:-20], finish_reason="length")
        server.queue("propose", cut_call, cut_call,
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == GOOD_DIFF and proposal.usage.tool_calls == 1
        third = server.of("propose")[2]
        assert "cut off at the completion-token limit (8192 tokens)" in \
            third.messages[-1]["content"]
        assert "asked for a shorter answer" in proposal.notes

    def test_endless_cuts_end_the_attempt(self, server: ChatServer, repo: Path) -> None:
        server.behave("propose", *[chat("```diff\n--- a/hello.py", finish_reason="length")] * 5)
        proposal = propose(repo, make_settings(server))
        assert proposal.diff == ""
        assert len(server.of("propose")) == 3
        assert "cut at the completion-token limit 3 times" in proposal.notes

    def test_more_room_stays_within_the_token_budget(self, server: ChatServer, repo: Path) -> None:
        server.queue("propose", chat("```diff\n--- a/hello.py", finish_reason="length",
                                     prompt_tokens=1000, completion_tokens=4096),
                     chat(tool_calls=[tool_call("submit_diff", {"diff": GOOD_DIFF})]))
        proposal = propose(repo, make_settings(server, max_tokens_per_task=9000))
        assert proposal.diff == GOOD_DIFF
        second = server.of("propose")[1]
        assert second.body["max_tokens"] <= 9000 - 5096
