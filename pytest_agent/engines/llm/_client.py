"""One chat-completions request at a time, with our own bounded retries.

The ``openai`` SDK is imported here, inside functions, only when the engine runs.
Its own retries are off (``max_retries=0``): this loop decides when to retry, how
long to wait (``Retry-After`` is honoured when it fits), and every request passes
the budget check first. Replies are parsed from the raw JSON so that a malformed
or empty reply is one clear fault instead of an exception deep in the SDK.
"""

from __future__ import annotations

import dataclasses
import email.utils
import json
import time
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import Final
from typing import final
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from pytest_agent.engines.llm._budget import MAX_COMPLETION_TOKENS
from pytest_agent.engines.llm._budget import MIN_COMPLETION_TOKENS
from pytest_agent.engines.llm._budget import BudgetStop
from pytest_agent.engines.llm._budget import TaskBudget
from pytest_agent.engines.llm._budget import estimate_tokens
from pytest_agent.engines.llm._reasoning import split_reasoning
from pytest_agent.memory import redact

if TYPE_CHECKING:
    from openai import OpenAI

    from pytest_agent.settings import AgentSettings

__all__ = [
    "REASONING_KEY",
    "ChatClient",
    "LLMError",
    "Reply",
    "RolesRejected",
    "ToolCall",
    "ToolsRejected",
    "describe_server",
]

#: A dummy key for local servers that need none (the SDK insists on some key).
LOCAL_KEY: Final = "not-needed"
#: Base of the exponential backoff between retries (seconds).
BACKOFF_BASE: Final = 0.25
BACKOFF_MAX: Final = 8.0
#: Completion tokens asked for at most after a reply was cut at the limit.
CUT_MAX_COMPLETION_TOKENS: Final = 4 * MAX_COMPLETION_TOKENS


@final
@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    #: The raw JSON text of the arguments, as the model wrote it (may be invalid).
    arguments: str


@final
@dataclass(frozen=True)
class Reply:
    """One assistant message and what it cost."""

    #: The answer: the content without reasoning (``<think>`` blocks).
    content: str
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    #: The message as it goes back into the conversation (no reasoning in it).
    message: dict[str, Any] = field(default_factory=dict)
    #: The reasoning: ``<think>`` blocks and the ``reasoning_content``/``reasoning`` field.
    reasoning: str = ""
    #: Prompt tokens the server read from its prompt cache.
    cached_tokens: int = 0
    #: The completion-token limit the request asked for.
    max_tokens: int = 0
    #: ``system_fingerprint``: tells some servers apart (Ollama sends ``fp_ollama``).
    fingerprint: str = ""


@final
class LLMError(Exception):
    """A request failed for good (retries spent, or a fault that retrying cannot fix).

    The message is safe to show: the API key is redacted from it.
    """

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@final
class ToolsRejected(Exception):
    """The server refused the ``tools`` parameter: describe the tools in the prompt."""


@final
class RolesRejected(Exception):
    """The server (its chat template) refused ``tool`` role messages: send tool results
    as user messages instead."""


def describe_server(settings: AgentSettings) -> str:
    """The server's address without any credentials in its userinfo."""
    if not settings.base_url:
        return "the OpenAI API"
    parts = urlsplit(settings.base_url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class _Transient(Exception):
    def __init__(self, message: str, *, kind: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after


class ChatClient:
    """A chat-completions client bound to one task's budget."""

    def __init__(
        self,
        settings: AgentSettings,
        budget: TaskBudget,
        *,
        purpose: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.budget = budget
        self.purpose = purpose
        self._sleep = sleep
        self._secret = settings.api_key.get_secret_value() if settings.api_key else ""
        self._client: OpenAI | None = None
        self._token_param = "max_tokens"
        #: Completion tokens asked for at most; halved when the server says the
        #: prompt plus this does not fit the model's context.
        self.max_completion = MAX_COMPLETION_TOKENS
        self._send_temperature = True
        self._sent_tool_roles = False
        #: Send earlier replies' reasoning back: only for a server that demands it.
        self.send_reasoning = False

    def _openai(self) -> OpenAI:
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(
                api_key=self._secret or LOCAL_KEY,
                base_url=self.settings.base_url or None,
                timeout=self.settings.request_timeout,
                max_retries=0,
                default_headers={"X-Agent-Purpose": self.purpose},
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def grow_completion(self) -> bool:
        """Ask for twice as many completion tokens (a reply was cut); whether that changed
        anything. The budgets still cap every request (:meth:`TaskBudget.plan_request`)."""
        larger = min(CUT_MAX_COMPLETION_TOKENS, self.max_completion * 2)
        changed = larger > self.max_completion
        self.max_completion = larger
        return changed

    def shrink_completion(self) -> bool:
        """Ask for half as many completion tokens from now on; whether that changed anything."""
        smaller = max(MIN_COMPLETION_TOKENS, self.max_completion // 2)
        changed = smaller < self.max_completion
        self.max_completion = smaller
        return changed

    def safe(self, text: str) -> str:
        """``text`` without the API key or credentials carried in ``base_url``."""
        return redact(text, (self._secret, *_url_secrets(self.settings.base_url)))

    # -- the request ---------------------------------------------------------

    def complete(
        self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None = None
    ) -> Reply:
        """Send one request (with retries); raise :class:`BudgetStop`, :class:`LLMError`
        or :class:`ToolsRejected`."""
        sent = [_outgoing(m, reasoning=self.send_reasoning) for m in messages]
        prompt_estimate = estimate_tokens(json.dumps(sent) + json.dumps(tools or []))
        tries = 1 + self.settings.request_retries
        last: _Transient | None = None
        number = 0
        fixes = 0
        while number < tries:
            if last is not None:
                self._wait(last, number)
            completion, estimate = self.budget.plan_request(prompt_estimate, self.max_completion)
            ledger = self.budget.ledger
            reserved = 0.0
            if ledger is not None and estimate is not None:
                self._reserve(estimate)
                reserved = estimate
            try:
                reply = self._send(messages, tools, completion)
            except _Transient as exc:
                self.budget.add(self.budget.usage_for(0, 0))  # a request was made
                if ledger is not None and reserved:
                    ledger.settle(reserved, 0.0)
                if exc.kind == "param" and fixes < 2:
                    # A parameter the server does not take, now dropped: not a retry.
                    fixes += 1
                    last = None
                    continue
                last = exc
                number += 1
                continue
            except (ToolsRejected, RolesRejected):
                self.budget.add(self.budget.usage_for(0, 0))  # refused, but a request
                if ledger is not None and reserved:
                    ledger.settle(reserved, 0.0)
                raise
            except BaseException:
                if ledger is not None and reserved:
                    ledger.settle(reserved, 0.0)
                raise
            usage = self.budget.usage_for(
                reply.prompt_tokens or prompt_estimate, reply.completion_tokens,
                reply.cached_tokens,
            )
            self.budget.add(usage)
            if ledger is not None and reserved:
                ledger.settle(reserved, usage.cost_usd or 0.0)
            return dataclasses.replace(reply, max_tokens=completion)
        assert last is not None
        raise LLMError(
            self.safe(f"{last} (after {tries} tries to {describe_server(self.settings)})"),
            kind=last.kind,
        )

    def _reserve(self, estimate: float) -> None:
        from filelock import Timeout

        assert self.budget.ledger is not None
        try:
            self.budget.ledger.reserve(estimate)
        except Timeout:
            raise BudgetStop(
                f"daily cost cap: could not lock the ledger {self.budget.ledger.path} "
                "(another run holds it); not sending the request"
            ) from None

    def _wait(self, fault: _Transient, number: int) -> None:
        delay = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (number - 1))
        if fault.retry_after is not None:
            limit = self.settings.request_timeout
            if fault.retry_after > limit:
                raise LLMError(
                    self.safe(
                        f"{fault} and asks to retry after {fault.retry_after:g}s, longer than "
                        f"request_timeout ({limit:g}s); giving up"
                    ),
                    kind=fault.kind,
                )
            delay = max(delay, fault.retry_after)
        self._sleep(delay)

    def _send(
        self,
        messages: Sequence[dict[str, Any]],
        tools: Sequence[dict[str, Any]] | None,
        completion: int,
    ) -> Reply:
        import openai

        params: dict[str, Any] = {
            "model": self.settings.model,
            "messages": [_outgoing(m, reasoning=self.send_reasoning) for m in messages],
            self._token_param: completion,
        }
        if self._send_temperature:
            params["temperature"] = self.settings.temperature
        if tools:
            params["tools"] = list(tools)
        server = describe_server(self.settings)
        self._sent_tool_roles = any(m.get("role") == "tool" for m in messages)
        try:
            text = self._read_within_deadline(params, server)
        except openai.APITimeoutError:
            raise _Transient(
                f"the request to {server} timed out after {self.settings.request_timeout:g}s",
                kind="timeout",
            ) from None
        except openai.APIConnectionError as exc:
            cause = exc.__cause__ or exc
            raise _Transient(
                self.safe(f"could not connect to {server}: {type(cause).__name__}: {cause}"),
                kind="connection",
            ) from None
        except openai.APIStatusError as exc:
            self._status_fault(exc, tools, server)
            raise AssertionError("unreachable") from None  # _status_fault always raises
        return self._parse(text, server)

    def _read_within_deadline(self, params: dict[str, Any], server: str) -> str:
        """The reply's body, read in chunks against a wall-clock deadline.

        The client's timeout bounds each read, not the whole reply: a server sending a
        byte a second would hold a plain read for minutes. Chunks are checked against
        ``request_timeout`` since the request started.
        """
        httpx = _httpx()
        timeout = self.settings.request_timeout
        deadline = time.monotonic() + timeout
        create = self._openai().chat.completions.with_streaming_response.create
        try:
            with create(**params) as response:
                chunks: list[bytes] = []
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise _Transient(
                            f"the reply from {server} did not finish within {timeout:g}s "
                            "(request_timeout)",
                            kind="timeout",
                        )
        except httpx.TimeoutException:
            raise _Transient(
                f"the request to {server} timed out after {timeout:g}s", kind="timeout"
            ) from None
        except httpx.TransportError as exc:
            raise _Transient(
                self.safe(f"the connection to {server} broke: {type(exc).__name__}: {exc}"),
                kind="connection",
            ) from None
        return b"".join(chunks).decode("utf-8", errors="replace")

    def _status_fault(
        self, exc: Any, tools: Sequence[dict[str, Any]] | None, server: str
    ) -> None:
        status: int = exc.status_code
        body = self.safe(_body_text(exc))
        if self._sent_tool_roles and _rejects_roles(status, body.lower()):
            raise RolesRejected(body[:300])
        if tools and _rejects_tools(status, body.lower()):
            raise ToolsRejected(body[:300])
        if status == 429:
            raise _Transient(
                f"{server} answered 429 (rate limited): {body[:300]}",
                kind="rate-limit",
                retry_after=_retry_after(exc.response.headers.get("retry-after")),
            )
        if status >= 500 or status == 408:
            raise _Transient(
                f"{server} answered {status}: {body[:300]}",
                kind="server-error",
                retry_after=_retry_after(exc.response.headers.get("retry-after")),
            )
        low = body.lower()
        if status == 400 and self._token_param == "max_tokens" and "max_completion_tokens" in low:
            # Newer OpenAI models take only max_completion_tokens; retry with it.
            self._token_param = "max_completion_tokens"
            raise _Transient(f"{server} wants max_completion_tokens", kind="param")
        if status == 400 and not self.send_reasoning and _wants_reasoning_back(low):
            # DeepSeek's thinking mode with tool calls: "The `reasoning_content` in the
            # thinking mode must be passed back to the API."
            self.send_reasoning = True
            raise _Transient(f"{server} wants reasoning_content sent back", kind="param")
        if status == 400 and self._send_temperature and "temperature" in low:
            # Reasoning models accept only their default temperature.
            self._send_temperature = False
            raise _Transient(f"{server} does not accept a temperature", kind="param")
        if status in (401, 403):
            raise LLMError(
                f"{server} refused the API key ({status}): {body[:300]}. Check AGENT_API_KEY "
                "(or OPENAI_API_KEY) and AGENT_BASE_URL.",
                kind="auth",
            )
        if status == 404:
            raise LLMError(
                f"{server} answered 404: {body[:300]}. Check the model name "
                f"({self.settings.model!r}) and that base_url ends with /v1 where the server "
                "expects it.",
                kind="not-found",
            )
        if any(w in low for w in ("context length", "context_length", "context window",
                                  "maximum context", "too many tokens", "prompt is too long")):
            raise LLMError(f"{server} answered {status}: the conversation is longer than the "
                           f"model's context: {body[:300]}", kind="context-length")
        raise LLMError(f"{server} answered {status}: {body[:300]}", kind="bad-request")

    def _parse(self, text: str, server: str) -> Reply:
        try:
            data = json.loads(text)
        except ValueError:
            raise _Transient(
                f"{server} sent a reply that is not JSON: {self.safe(text[:200])!r}",
                kind="malformed",
            ) from None
        try:
            return _reply_from(data)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise _Transient(
                f"{server} sent a reply without a usable message ({type(exc).__name__}: {exc}): "
                f"{self.safe(text[:200])!r}",
                kind="malformed",
            ) from None


def _reply_from(data: Any) -> Reply:
    choice = data["choices"][0]
    message = choice["message"]
    content = message.get("content") or ""
    if not isinstance(content, str):  # some servers send a list of parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    raw_content = content
    content, reasoning = split_reasoning(content, message)
    calls: list[ToolCall] = []
    for raw in message.get("tool_calls") or ():
        fn = raw["function"]
        arguments = fn.get("arguments")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        calls.append(ToolCall(id=str(raw.get("id") or f"call_{len(calls)}"),
                              name=str(fn["name"]), arguments=arguments))
    usage = data.get("usage") or {}
    # Reasoning is not sent back: only the answer (and the calls) go into the conversation.
    back: dict[str, Any] = {"role": "assistant", "content": content or (None if calls else "")}
    if calls:
        back["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in calls
        ]
    return Reply(
        content=content,
        tool_calls=tuple(calls),
        finish_reason=choice.get("finish_reason"),
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=(
            int(usage["completion_tokens"] or 0) if "completion_tokens" in usage
            else estimate_tokens(raw_content + reasoning + "".join(c.arguments for c in calls))
        ),
        message=back,
        reasoning=reasoning,
        cached_tokens=_cached_tokens(usage),
        fingerprint=str(data.get("system_fingerprint") or ""),
    )


#: The private key of an assistant message holding its reasoning (never sent, unless the
#: server demands it back as ``reasoning_content``).
REASONING_KEY: Final = "_reasoning"


def _outgoing(message: dict[str, Any], *, reasoning: bool) -> dict[str, Any]:
    """``message`` as sent: private ``_`` keys dropped; the reasoning only on demand."""
    out = {k: v for k, v in message.items() if not k.startswith("_")}
    if reasoning and message.get(REASONING_KEY):
        out["reasoning_content"] = message[REASONING_KEY]
    return out


def _wants_reasoning_back(body: str) -> bool:
    return "reasoning_content" in body and ("passed back" in body or "must be" in body)


def _cached_tokens(usage: dict[str, Any]) -> int:
    """Prompt tokens read from the server's cache: ``prompt_tokens_details.cached_tokens``
    (OpenAI, vLLM, llama.cpp) or ``prompt_cache_hit_tokens`` (DeepSeek)."""
    details = usage.get("prompt_tokens_details")
    value = details.get("cached_tokens") if isinstance(details, dict) else None
    if value is None:
        value = usage.get("prompt_cache_hit_tokens")
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _httpx() -> Any:
    """The HTTP library under the ``openai`` SDK: ``httpx2`` in SDK 3.x, ``httpx`` before."""
    import importlib

    try:
        return importlib.import_module("httpx2")
    except ImportError:
        return importlib.import_module("httpx")


def _url_secrets(url: str | None) -> tuple[str, ...]:
    if not url:
        return ()
    parts = urlsplit(url)
    return tuple(v for v in (parts.password, parts.query) if v)


def _rejects_roles(status: int, body: str) -> bool:
    """Whether an error answers a conversation with ``tool`` messages by refusing the role.

    Chat templates without tool support raise on it: "Conversation roles must alternate
    user/assistant/user/assistant/..." (Mistral, Gemma, Llama 2 templates), "Unknown role:
    tool", "unsupported role" (llama.cpp's built-in templates).
    """
    if status not in (400, 422, 500):
        return False
    return "role" in body and any(w in body for w in ("alternate", "tool", "unknown",
                                                      "unsupported", "invalid", "not support"))


def _rejects_tools(status: int, body: str) -> bool:
    """Whether an error answers a request with ``tools`` by refusing tool calling.

    Ollama: 400 "... does not support tools"; vLLM without --enable-auto-tool-choice:
    400 "... tool choice requires ..."; llama.cpp without --jinja: 500 "tools param
    requires --jinja flag"; others: 404/422/501 naming tools or functions.
    """
    if status not in (400, 404, 422, 500, 501):
        return False
    if "tool" not in body and "function" not in body:
        return False
    return status != 500 or any(w in body for w in ("support", "jinja", "require", "enable"))


def _body_text(exc: Any) -> str:
    try:
        return str(exc.response.text)
    except Exception:  # noqa: BLE001 - a streamed or closed body: the status must do
        return str(exc.message)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
