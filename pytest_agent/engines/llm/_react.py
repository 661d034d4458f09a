"""The ReAct loop of one attempt: ask, run the tools asked for, until a diff is submitted.

Every turn of the loop spends something bounded: a tool call (``max_tool_calls_per_task``),
a nudge after a reply without a diff (:data:`MAX_NUDGES`), or a refused submission
(:data:`MAX_REFUSALS`); every request passes the budget check. So the loop ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Final
from typing import final

from pytest_agent._types import Context
from pytest_agent._types import Proposal
from pytest_agent._types import Task
from pytest_agent._types import Usage
from pytest_agent._types import Workspace
from pytest_agent.engines.llm._budget import BudgetStop
from pytest_agent.engines.llm._budget import TaskBudget
from pytest_agent.engines.llm._check import check_diff
from pytest_agent.engines.llm._client import ChatClient
from pytest_agent.engines.llm._client import LLMError
from pytest_agent.engines.llm._client import Reply
from pytest_agent.engines.llm._client import ToolCall
from pytest_agent.engines.llm._client import ToolsRejected
from pytest_agent.engines.llm._prompts import NO_DIFF_NUDGE
from pytest_agent.engines.llm._prompts import SYSTEM_TEXT
from pytest_agent.engines.llm._prompts import SYSTEM_TOOLS
from pytest_agent.engines.llm._prompts import extract_diff
from pytest_agent.engines.llm._prompts import first_message
from pytest_agent.engines.llm._prompts import refusal_message
from pytest_agent.engines.llm._tools import SUBMIT
from pytest_agent.engines.llm._tools import TOOL_SPECS
from pytest_agent.engines.llm._tools import ToolBox
from pytest_agent.engines.llm._tools import ToolError
from pytest_agent.engines.llm._tools import parse_arguments

__all__ = ["CONVERSATION_CHARS", "MAX_NUDGES", "MAX_REFUSALS", "ReactLoop"]

#: Replies without a diff answered with a reminder before the attempt gives up.
MAX_NUDGES: Final = 2
#: Refused submissions fed back to the model before the attempt counts as failed.
MAX_REFUSALS: Final = 2
#: When this few tool calls are left, the model is told so.
_WARN_LEFT: Final = 3
_NOTES_LIMIT: Final = 3000
#: Characters of conversation (about 20k tokens) past which old tool output is elided.
CONVERSATION_CHARS: Final = 80_000
_ELIDED: Final = "[older tool output elided to save context; call the tool again if needed]"

ENGINE: Final = "llm"


@final
@dataclass
class ReactLoop:
    """One attempt's conversation."""

    task: Task
    context: Context
    workspace: Workspace
    client: ChatClient
    budget: TaskBudget
    tool_mode: str
    tools: ToolBox = field(init=False)
    messages: list[dict[str, Any]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    nudges: int = 0
    refusals: int = 0

    def __post_init__(self) -> None:
        self.tools = ToolBox(self.workspace, self.budget.settings.test_timeout)

    def run(self) -> Proposal:
        try:
            return self._run()
        except BudgetStop as exc:
            return self._stop(f"budget exhausted: {exc}")
        except LLMError as exc:
            return self._stop(f"LLM request failed ({exc.kind}): {exc}")

    def _run(self) -> Proposal:
        use_tools = self.tool_mode != "text"
        if use_tools and self.budget.tool_calls_left() <= 0:
            raise BudgetStop(self._tool_budget_message())
        self._start(use_tools)
        while True:
            try:
                reply = self._ask(use_tools)
            except ToolsRejected as exc:
                if self.tool_mode == "native":
                    return self._stop(
                        "the server rejected tool calling (tool_mode=native): "
                        f"{exc}; set tool_mode to 'text' or 'auto'"
                    )
                self.log.append("server rejected tools: plain-text mode")
                use_tools = False
                self._start(use_tools)
                continue
            self.messages.append(reply.message)
            if reply.content.strip():
                self.log.append(reply.content.strip())
            if reply.finish_reason == "length":
                self.log.append("the reply was cut at the completion-token limit")
            if use_tools and reply.tool_calls:
                diff = self._run_tools(reply.tool_calls, cut=reply.finish_reason == "length")
            else:
                diff = self._text_diff(reply, use_tools)
            if diff is not None:
                return self._proposal(diff)
            if self.nudges > MAX_NUDGES:
                return self._proposal("", extra="the model gave no diff")

    # -- steps -------------------------------------------------------------------

    def _ask(self, use_tools: bool) -> Reply:
        self._elide(CONVERSATION_CHARS)
        tools = TOOL_SPECS if use_tools else None
        try:
            return self.client.complete(self.messages, tools)
        except LLMError as exc:
            # The server says the conversation does not fit: drop old tool output and ask
            # for a shorter answer, once.
            if exc.kind != "context-length":
                raise
            elided = self._elide(0)
            if not (self.client.shrink_completion() | elided):
                raise
            self.log.append("the conversation did not fit the model's context: old tool "
                            "output elided, shorter answer asked for")
            return self.client.complete(self.messages, tools)

    def _elide(self, limit: int) -> bool:
        """Replace the oldest tool results by a note until the conversation fits ``limit``
        characters; the newest turn's results are kept. Whether anything changed."""
        size = sum(len(str(m.get("content") or "")) for m in self.messages)
        last_assistant = max(
            (i for i, m in enumerate(self.messages) if m["role"] == "assistant"), default=0
        )
        changed = False
        for message in self.messages[:last_assistant]:
            if size <= limit:
                break
            content = str(message.get("content") or "")
            if message["role"] != "tool" or content == _ELIDED or len(content) <= len(_ELIDED):
                continue
            message["content"] = _ELIDED
            size -= len(content) - len(_ELIDED)
            changed = True
        return changed

    def _start(self, use_tools: bool) -> None:
        self.messages = [
            {"role": "system", "content": SYSTEM_TOOLS if use_tools else SYSTEM_TEXT},
            {"role": "user", "content": first_message(self.task, self.context, tools=use_tools)},
        ]

    def _run_tools(self, calls: tuple[ToolCall, ...], *, cut: bool = False) -> str | None:
        """Answer every call; the diff when one was submitted and passed the dry run."""
        submitted: str | None = None
        for call in calls:
            if self.budget.tool_calls_left() <= 0:
                raise BudgetStop(self._tool_budget_message())
            self.budget.add(Usage(tool_calls=1, cost_usd=self.budget.zero_cost))
            if call.name == SUBMIT:
                result, diff = self._submit(call)
                submitted = diff
            else:
                self.log.append(f"tool {call.name}({call.arguments[:120]})")
                try:
                    result = self.tools.call(call.name, call.arguments)
                except ToolError as exc:
                    result = f"error: {exc}"
            if cut and result.startswith("error:"):
                result += ("\n(your reply was cut at the completion-token limit: "
                           "write less, e.g. a smaller diff)")
            left = self.budget.tool_calls_left()
            if 0 < left <= _WARN_LEFT:
                result += f"\n[{left} tool call(s) left for this task; submit_diff counts as one]"
            self.messages.append({"role": "tool", "tool_call_id": call.id,
                                  "content": self.client.safe(result)})
            if submitted is not None:
                break  # the turn ends: calls after an accepted submission are not run
        return submitted

    def _tool_budget_message(self) -> str:
        limit = self.budget.settings.max_tool_calls_per_task
        return (
            f"tool-call budget: the model used all {limit} tool calls of this task "
            "(max_tool_calls_per_task)"
        )

    def _submit(self, call: ToolCall) -> tuple[str, str | None]:
        try:
            args = parse_arguments(call.name, call.arguments)
        except ToolError as exc:
            return f"error: {exc}", None
        diff = args.get("diff")
        if not isinstance(diff, str) or not diff.strip():
            return "error: submit_diff needs a non-empty 'diff' string (a unified diff)", None
        return self._checked(diff)

    def _text_diff(self, reply: Reply, use_tools: bool) -> str | None:
        diff = extract_diff(reply.content)
        if diff:
            message, accepted = self._checked(diff)
            if accepted is None:
                self.messages.append({"role": "user", "content": message})
            return accepted
        self.nudges += 1
        if self.nudges <= MAX_NUDGES:
            how = ("call submit_diff with a unified diff" if use_tools
                   else "one ```diff fenced block with a unified diff")
            more = ("use the tools first" if use_tools
                    else "say what you assume and still give your best diff")
            empty = "Your reply was empty. " if not reply.content.strip() else ""
            self.messages.append(
                {"role": "user", "content": empty + NO_DIFF_NUDGE.format(how=how, more=more)}
            )
        return None

    def _checked(self, diff: str) -> tuple[str, str | None]:
        """Dry-run ``diff``: ``(message for the model, the diff if it is to be returned)``."""
        if not diff.endswith("\n"):
            diff += "\n"
        reason = check_diff(self.task, self.workspace, diff)
        if reason is None:
            return "submitted: the diff applies; it is being verified", diff
        self.log.append(f"dry run refused the diff: {reason}")
        if self.refusals >= MAX_REFUSALS:
            # Out of second chances: the harness's apply step refuses it for the record.
            return f"refused: {reason}", diff
        self.refusals += 1
        return refusal_message(reason, remaining=MAX_REFUSALS - self.refusals + 1), None

    # -- endings -----------------------------------------------------------------

    def _notes(self, extra: str = "") -> str:
        text = "\n\n".join([*self.log, extra] if extra else self.log)
        if len(text) > _NOTES_LIMIT:
            text = "[...]\n" + text[-_NOTES_LIMIT:]
        used = self.budget.used
        cost = f", ${used.cost_usd:.4f}" if used.cost_usd is not None else ""
        text += (f"\n\n(llm: {used.requests} request(s), {used.total_tokens} tokens{cost}, "
                 f"{used.tool_calls} tool call(s))")
        return self.client.safe(text.strip())

    def _proposal(self, diff: str, *, extra: str = "") -> Proposal:
        return Proposal(diff=diff, notes=self._notes(extra), engine=ENGINE, usage=self.budget.used)

    def _stop(self, reason: str) -> Proposal:
        reason = self.client.safe(reason)
        return Proposal(diff="", notes=self._notes(reason), engine=ENGINE,
                        usage=self.budget.used, stop_reason=reason)
