"""The ReAct loop of one attempt: ask, run the tools asked for, until a diff is submitted.

Every turn of the loop spends something bounded: a tool call (``max_tool_calls_per_task``),
a nudge after a reply without a diff (:data:`MAX_NUDGES`), a refused submission
(:data:`MAX_REFUSALS`), or a reply cut at the token limit (:data:`MAX_CUTS`); every
request passes the budget check. So the loop ends.

The conversation is kept in the OpenAI shape (assistant ``tool_calls``, ``tool``
results); :meth:`ReactLoop.wire` renders it for the server: as it is, or with tool
results as user messages for servers whose chat template refuses the ``tool`` role.
The system message (and the tool list) come first and never change within a mode,
so providers' prompt caches apply to every request of the task.
"""

from __future__ import annotations

import json
import logging
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
from pytest_agent.engines.llm._client import REASONING_KEY
from pytest_agent.engines.llm._client import ChatClient
from pytest_agent.engines.llm._client import LLMError
from pytest_agent.engines.llm._client import Reply
from pytest_agent.engines.llm._client import RolesRejected
from pytest_agent.engines.llm._client import ToolCall
from pytest_agent.engines.llm._client import ToolsRejected
from pytest_agent.engines.llm._client import describe_server
from pytest_agent.engines.llm._modes import ModeState
from pytest_agent.engines.llm._modes import remembered_mode
from pytest_agent.engines.llm._modes import server_hint
from pytest_agent.engines.llm._prompts import CUT_NUDGE
from pytest_agent.engines.llm._prompts import NO_DIFF_NUDGE
from pytest_agent.engines.llm._prompts import REASONING_NOTE
from pytest_agent.engines.llm._prompts import SYSTEM_PROMPTED
from pytest_agent.engines.llm._prompts import SYSTEM_TEXT
from pytest_agent.engines.llm._prompts import SYSTEM_TOOLS
from pytest_agent.engines.llm._prompts import extract_diff
from pytest_agent.engines.llm._prompts import first_message
from pytest_agent.engines.llm._prompts import refusal_message
from pytest_agent.engines.llm._reasoning import shorten
from pytest_agent.engines.llm._textcalls import ANY_TOOL
from pytest_agent.engines.llm._textcalls import find_text_calls
from pytest_agent.engines.llm._tools import SUBMIT
from pytest_agent.engines.llm._tools import TOOL_NAMES
from pytest_agent.engines.llm._tools import TOOL_SPECS
from pytest_agent.engines.llm._tools import ToolBox
from pytest_agent.engines.llm._tools import ToolError
from pytest_agent.engines.llm._tools import parse_arguments

__all__ = ["CONVERSATION_CHARS", "MAX_CUTS", "MAX_NUDGES", "MAX_REFUSALS", "ReactLoop"]

#: Replies without a diff answered with a reminder before the attempt gives up.
MAX_NUDGES: Final = 2
#: Refused submissions fed back to the model before the attempt counts as failed.
MAX_REFUSALS: Final = 2
#: Replies cut at the completion-token limit asked again before the attempt gives up.
MAX_CUTS: Final = 2
#: When this few tool calls are left, the model is told so.
_WARN_LEFT: Final = 3
_NOTES_LIMIT: Final = 3000
#: Characters of conversation (about 20k tokens) past which old tool output is elided.
CONVERSATION_CHARS: Final = 80_000
_ELIDED: Final = "[older tool output elided to save context; call the tool again if needed]"
_SYSTEM: Final = {"native": SYSTEM_TOOLS, "prompted": SYSTEM_PROMPTED, "text": SYSTEM_TEXT}
_HOW: Final = {
    "native": ("call submit_diff with a unified diff", "use the tools first"),
    "prompted": ("a submit_diff call in <tool_call> tags, or one ```diff fenced block",
                 "call the tools first"),
    "text": ("one ```diff fenced block with a unified diff",
             "say what you assume and still give your best diff"),
}

ENGINE: Final = "llm"
_log = logging.getLogger("pytest_agent.llm")


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
    state: ModeState = field(init=False)
    messages: list[dict[str, Any]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    nudges: int = 0
    refusals: int = 0
    cuts: int = 0
    #: Replies whose tool calls were read from the text (numbers their call ids).
    text_turns: int = 0
    #: The one line telling the user which server setting gives native tool calls.
    hint: str | None = None
    #: The server's answer when it refused the ``tools`` parameter.
    rejected: str | None = None

    def __post_init__(self) -> None:
        self.tools = ToolBox(self.workspace, self.budget.settings.test_timeout)
        remembered = remembered_mode(self.context) if self.tool_mode == "auto" else None
        if self.tool_mode == "text":
            self.state = ModeState("text")
        elif remembered is not None:
            self.state = remembered
            self.log.append(f"started in the mode an earlier attempt found: {remembered.line()}")
        else:
            self.state = ModeState("native")

    def run(self) -> Proposal:
        try:
            return self._run()
        except BudgetStop as exc:
            return self._stop(f"budget exhausted: {exc}")
        except LLMError as exc:
            return self._stop(f"LLM request failed ({exc.kind}): {exc}")

    def _run(self) -> Proposal:
        if self.state.mode != "text" and self.budget.tool_calls_left() <= 0:
            raise BudgetStop(self._tool_budget_message())
        self._start()
        while True:
            reply = self._ask_adapting()
            if isinstance(reply, Proposal):
                return reply
            if reply is None:
                continue  # the server refused something; the conversation was adapted
            proposal = self._handle(reply)
            if proposal is not None:
                return proposal

    # -- steps -------------------------------------------------------------------

    def _ask_adapting(self) -> Reply | Proposal | None:
        """The next reply; ``None`` after adapting to a refusal; a Proposal to stop."""
        try:
            return self._ask()
        except ToolsRejected as exc:
            if self.tool_mode == "native":
                self._set_hint(rejected=str(exc))
                return self._stop("the server rejected tool calling (tool_mode=native): "
                                  f"{exc}; set tool_mode to 'auto' or 'text'")
            self.state = ModeState("prompted", results_as_user=True, dialect=self.state.dialect)
            self._set_hint(rejected=str(exc))
            self.log.append(f"the server rejected the tools parameter ({str(exc)[:160]}): tools "
                            "are described in the prompt, calls read from the text")
            self._start()
            return None
        except RolesRejected as exc:
            if self.state.results_as_user:
                raise LLMError(f"the server refused the conversation: {exc}",
                               kind="bad-request") from None
            self.state.results_as_user = True
            self.log.append(f"the server refused 'tool' role messages ({str(exc)[:160]}): "
                            "tool results go back as user messages")
            return None

    def _ask(self) -> Reply:
        self._elide(CONVERSATION_CHARS)
        tools = TOOL_SPECS if self.state.mode == "native" else None
        try:
            return self.client.complete(self.wire(), tools)
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
            return self.client.complete(self.wire(), tools)

    def _handle(self, reply: Reply) -> Proposal | None:
        """Act on one reply: run its tool calls, or take its diff, or nudge."""
        if reply.content.strip():
            self.log.append(reply.content.strip())
        if reply.reasoning:
            self.log.append(REASONING_NOTE + shorten(reply.reasoning))
        if reply.finish_reason == "length":
            return self._cut(reply)
        calls = self._calls(reply)
        message = self._assistant(reply, calls) if calls else dict(reply.message)
        if reply.reasoning:
            message[REASONING_KEY] = reply.reasoning  # sent back only if the server demands it
        self.messages.append(message)
        diff = self._run_tools(calls) if calls else self._text_diff(reply)
        if diff is not None:
            return self._proposal(diff)
        if self.nudges > MAX_NUDGES:
            return self._proposal("", extra="the model gave no diff")
        return None

    def _calls(self, reply: Reply) -> tuple[ToolCall, ...]:
        """Structured calls win; else calls written in the text (not in text mode)."""
        if self.state.mode == "text":
            return ()
        if reply.tool_calls:
            self._detected("native")
            return reply.tool_calls
        found = find_text_calls(reply.content, TOOL_NAMES)
        if not found:
            return ()
        self._detected(found[0].dialect, fingerprint=reply.fingerprint)
        self.text_turns += 1
        # Nine alphanumerics: the strictest id rule (Mistral templates) accepts them.
        return tuple(ToolCall(id=f"t{self.text_turns:03d}{i:05d}", name=c.name,
                              arguments=c.arguments) for i, c in enumerate(found))

    def _detected(self, dialect: str, *, fingerprint: str = "") -> None:
        """The dialect of the first calls is the task's (calls in other dialects are still
        read: a model may drift)."""
        if self.state.dialect is not None:
            return
        self.state.dialect = dialect
        if dialect == "native":
            return
        self.log.append(f"tool calls arrive in the reply text ({dialect} format); read from "
                        "there")
        self._set_hint(rejected=self.rejected, fingerprint=fingerprint)

    def _set_hint(self, *, rejected: str | None, fingerprint: str = "") -> None:
        self.rejected = rejected
        settings = self.budget.settings
        hint = server_hint(rejected=rejected, dialect=self.state.dialect, model=settings.model,
                           base_url=settings.base_url, fingerprint=fingerprint)
        if hint is not None and hint != self.hint:
            self.hint = hint
            _log.warning("pytest-agent llm (%s): %s", describe_server(settings), hint)

    def _assistant(self, reply: Reply, calls: tuple[ToolCall, ...]) -> dict[str, Any]:
        if reply.tool_calls:
            return dict(reply.message)
        # Calls read from the text: the OpenAI shape for the conversation, the text itself
        # for servers that get results as user messages.
        return {"role": "assistant", "content": None, "_text": reply.content,
                "tool_calls": [{"id": c.id, "type": "function",
                                "function": {"name": c.name, "arguments": c.arguments}}
                               for c in calls]}

    def _cut(self, reply: Reply) -> Proposal | None:
        """A reply cut at the completion-token limit: never used (half a diff, half a
        call); asked again with more room, then for a shorter answer."""
        self.cuts += 1
        limit = reply.max_tokens or self.client.max_completion
        if self.cuts > MAX_CUTS:
            return self._proposal("", extra=(
                f"the model's replies were cut at the completion-token limit {self.cuts} "
                "times; nothing from a cut reply is used"))
        if self.cuts == 1 and self.client.grow_completion():
            self.log.append(f"the reply was cut at the completion-token limit ({limit} "
                            "tokens) and not used; asked again with room for up to "
                            f"{self.client.max_completion}")
            return None
        self.messages.append({"role": "user", "content": CUT_NUDGE.format(limit=limit)})
        self.log.append(f"the reply was cut at the completion-token limit ({limit} tokens) "
                        "and not used; asked for a shorter answer")
        return None

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

    def _start(self) -> None:
        mode = self.state.mode
        self.messages = [
            {"role": "system", "content": _SYSTEM[mode]},
            {"role": "user",
             "content": first_message(self.task, self.context, tools=mode != "text")},
        ]

    def wire(self) -> list[dict[str, Any]]:
        """The conversation as the server gets it (the client drops private ``_`` keys)."""
        if not self.state.results_as_user:
            return [dict(m) for m in self.messages]
        out: list[dict[str, Any]] = []
        for message in self.messages:
            role, content = message["role"], message.get("content")
            if role == "assistant" and message.get("tool_calls"):
                out.append({"role": "assistant", "content": message.get("_text")
                            or _calls_as_text(message["tool_calls"])})
                continue
            if role == "tool":
                role, content = "user", f"<tool_response>\n{content}\n</tool_response>"
            if role == "user" and out and out[-1]["role"] == "user":
                out[-1] = {"role": "user", "content": f"{out[-1]['content']}\n\n{content}"}
                continue
            out.append({"role": role, "content": content})
        return out

    def _run_tools(self, calls: tuple[ToolCall, ...]) -> str | None:
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

    def _text_diff(self, reply: Reply) -> str | None:
        diff = extract_diff(reply.content)
        if diff:
            message, accepted = self._checked(diff)
            if accepted is None:
                self.messages.append({"role": "user", "content": message})
            return accepted
        self.nudges += 1
        if self.nudges <= MAX_NUDGES:
            how, more = _HOW[self.state.mode]
            empty = "Your reply was empty. " if not reply.content.strip() else ""
            self.messages.append({"role": "user", "content": empty + self._unknown_tools(reply)
                                  + NO_DIFF_NUDGE.format(how=how, more=more)})
        return None

    def _unknown_tools(self, reply: Reply) -> str:
        """A call in the text to a tool that does not exist: say so (small models guess
        names like ``open_file``)."""
        if self.state.mode == "text":
            return ""
        named = {c.name for c in find_text_calls(reply.content, ANY_TOOL)} - TOOL_NAMES
        if not named:
            return ""
        return (f"There is no tool named {', '.join(map(repr, sorted(named)))}; the tools are: "
                f"{', '.join(sorted(TOOL_NAMES))}. ")

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
        cached = self.budget.cached_tokens
        cache = f" ({cached} prompt tokens from the server's cache)" if cached else ""
        text += (f"\n\n(llm: {used.requests} request(s), {used.total_tokens} tokens{cache}"
                 f"{cost}, {used.tool_calls} tool call(s))\n{self.state.line()}")
        if self.hint:
            text += f"\nllm hint: {self.hint}"
        return self.client.safe(text.strip())

    def _proposal(self, diff: str, *, extra: str = "") -> Proposal:
        return Proposal(diff=diff, notes=self._notes(extra), engine=ENGINE, usage=self.budget.used)

    def _stop(self, reason: str) -> Proposal:
        reason = self.client.safe(reason)
        if self.hint:
            reason += f" ({self.hint})"
        return Proposal(diff="", notes=self._notes(reason), engine=ENGINE,
                        usage=self.budget.used, stop_reason=reason)


def _calls_as_text(calls: list[dict[str, Any]]) -> str:
    """Calls in the Hermes format, for a server that gets no structured calls back."""
    parts = []
    for call in calls:
        fn = call["function"]
        try:
            args = json.loads(fn["arguments"])
        except ValueError:
            args = fn["arguments"]
        parts.append("<tool_call>\n" + json.dumps({"name": fn["name"], "arguments": args})
                     + "\n</tool_call>")
    return "\n".join(parts)
