"""A real HTTP server on 127.0.0.1 that speaks OpenAI chat completions and plays a script.

Used by the LLM engine's tests: the real ``openai`` client talks to it. Replies are
queued per *purpose* (the ``X-Agent-Purpose`` header the engine sends: ``propose``,
``reflect``, ``summarize``) so a test scripts the proposer and the critic apart.
Faults are replies too: a status with headers and a body, a delay longer than
the client's timeout, a dropped connection, bytes that are not JSON.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any

__all__ = [
    "LLAMA_CPP_NO_JINJA",
    "MISTRAL_TEMPLATE_ROLES",
    "OLLAMA_NO_TOOLS",
    "VLLM_NO_TOOL_PARSER",
    "ChatServer",
    "Personality",
    "Recorded",
    "ScriptedReply",
    "calls_as_text",
    "chat",
    "fault",
    "tool_call",
]


@dataclass
class ScriptedReply:
    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds to wait before answering (a timeout fault when longer than the client's).
    delay: float = 0.0
    #: Close the connection without answering.
    drop: bool = False
    #: Send the body one byte every this many seconds (a server that never finishes).
    trickle: float = 0.0


@dataclass
class Recorded:
    purpose: str
    body: dict[str, Any]
    headers: dict[str, str]
    #: ``time.monotonic()`` when the request arrived (gaps between retries).
    at: float = 0.0

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def has_tools(self) -> bool:
        return bool(self.body.get("tools"))

    @property
    def has_tool_roles(self) -> bool:
        return any(m.get("role") == "tool" for m in self.messages)

    @property
    def prefix(self) -> str:
        """The system message and the tool list, as sent: what a prompt cache keys on."""
        return json.dumps([self.messages[:1], self.body.get("tools")])


def tool_call(name: str, arguments: Any = None, *, raw: str | None = None) -> dict[str, Any]:
    """One tool call of an assistant message; ``raw`` gives the arguments text verbatim."""
    text = raw if raw is not None else json.dumps(arguments or {})
    return {"name": name, "arguments": text}


def chat(
    content: str = "",
    tool_calls: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
    *,
    prompt_tokens: int = 100,
    completion_tokens: int = 20,
    usage: bool = True,
    finish_reason: str | None = None,
    reasoning: str | None = None,
    reasoning_field: str = "reasoning_content",
    cached_tokens: int | None = None,
    cache_hit_field: bool = False,
    fingerprint: str | None = None,
) -> ScriptedReply:
    """A successful chat completion with ``content`` and/or ``tool_calls``.

    :param reasoning: Sent in ``reasoning_field`` (``reasoning_content``: DeepSeek,
        llama.cpp, LM Studio; ``reasoning``: vLLM 0.11+, Ollama).
    :param cached_tokens: Sent as ``usage.prompt_tokens_details.cached_tokens`` (OpenAI,
        vLLM), or as DeepSeek's ``prompt_cache_hit_tokens`` with ``cache_hit_field``.
    :param fingerprint: ``system_fingerprint`` (Ollama sends ``fp_ollama``).
    """
    message: dict[str, Any] = {"role": "assistant", "content": content or None}
    if tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": call}
            for i, call in enumerate(tool_calls)
        ]
    if reasoning is not None:
        message[reasoning_field] = reasoning
    data: dict[str, Any] = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "test-model",
        "choices": [{"index": 0, "message": message,
                     "finish_reason": finish_reason or ("tool_calls" if tool_calls else "stop")}],
    }
    if fingerprint is not None:
        data["system_fingerprint"] = fingerprint
    if usage:
        data["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                         "total_tokens": prompt_tokens + completion_tokens}
        if cached_tokens is not None and cache_hit_field:
            data["usage"]["prompt_cache_hit_tokens"] = cached_tokens
            data["usage"]["prompt_cache_miss_tokens"] = prompt_tokens - cached_tokens
        elif cached_tokens is not None:
            data["usage"]["prompt_tokens_details"] = {"cached_tokens": cached_tokens}
    return ScriptedReply(json=data)


def calls_as_text(dialect: str, *calls: tuple[str, dict[str, Any]]) -> str:
    """Tool calls written in the message text, the way models do without a server parser."""
    objs = [{"name": name, "arguments": args} for name, args in calls]
    if dialect == "hermes":  # Hermes, Qwen 2.5/3 templates
        return "\n".join(f"<tool_call>\n{json.dumps(o)}\n</tool_call>" for o in objs)
    if dialect == "qwen3-xml":  # Qwen3-Coder
        return "\n".join(
            "<tool_call>\n<function=" + name + ">\n" + "".join(
                f"<parameter={k}>\n{v if isinstance(v, str) else json.dumps(v)}\n</parameter>\n"
                for k, v in args.items()) + "</function>\n</tool_call>"
            for name, args in calls)
    if dialect == "mistral":
        return "[TOOL_CALLS]" + json.dumps(objs)
    if dialect == "llama3":  # Llama 3.1: "parameters", several separated by ';'
        return "<|python_tag|>" + "; ".join(
            json.dumps({"name": name, "parameters": args}) for name, args in calls)
    if dialect == "json":  # small models on Ollama: the bare object (or a list)
        return json.dumps(objs[0] if len(objs) == 1 else objs, indent=2)
    if dialect == "fence":
        return "I will call the tool.\n```json\n" + json.dumps(objs, indent=2) + "\n```"
    raise ValueError(dialect)


def fault(
    status: int, body: str = "", *, headers: dict[str, str] | None = None
) -> ScriptedReply:
    """An error status with an OpenAI-style error body."""
    payload = {"error": {"message": body or f"status {status}", "type": "test", "code": None}}
    return ScriptedReply(status=status, json=payload, headers=headers or {})


#: vLLM started without --enable-auto-tool-choice: a request with ``tools`` is refused.
VLLM_NO_TOOL_PARSER = ScriptedReply(status=400, json={
    "object": "error", "type": "BadRequestError", "param": None, "code": 400,
    "message": '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser '
               "to be set"})
#: Ollama with a model whose template has no tool support.
OLLAMA_NO_TOOLS = ScriptedReply(status=400, json={"error": {
    "message": "registry.ollama.ai/library/llama3:latest does not support tools",
    "type": "api_error", "param": None, "code": None}})
#: llama.cpp's llama-server started without --jinja.
LLAMA_CPP_NO_JINJA = ScriptedReply(status=500, json={"error": {
    "code": 500, "message": "tools param requires --jinja flag", "type": "server_error"}})
#: A chat template that only knows user/assistant turns (Mistral's, Gemma's).
MISTRAL_TEMPLATE_ROLES = ScriptedReply(status=400, json={
    "object": "error", "type": "BadRequestError", "param": None, "code": 400,
    "message": "Conversation roles must alternate user/assistant/user/assistant/..."})


@dataclass
class Personality:
    """A server's standing behaviour around a script: what it refuses, every time."""

    replies: collections.deque[ScriptedReply] = field(default_factory=collections.deque)
    #: Answer to every request that carries ``tools``.
    refuse_tools: ScriptedReply | None = None
    #: Answer to every request whose conversation has a ``tool`` role message.
    refuse_tool_roles: ScriptedReply | None = None

    def answer(self, record: Recorded) -> ScriptedReply:
        if self.refuse_tools is not None and record.has_tools:
            return self.refuse_tools
        if self.refuse_tool_roles is not None and record.has_tool_roles:
            return self.refuse_tool_roles
        if self.replies:
            return self.replies.popleft()
        return fault(500, f"script exhausted for purpose {record.purpose!r}")


class ChatServer:
    """The server; ``url`` is the ``base_url`` to give the engine."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._queues: dict[str, collections.deque[ScriptedReply]] = collections.defaultdict(
            collections.deque
        )
        #: Called for a purpose whose queue is empty; the default answers 500.
        self.fallback: Callable[[Recorded], ScriptedReply] | None = None
        #: Per purpose: a standing behaviour that answers before the queue.
        self.personalities: dict[str, Personality] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> ChatServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def queue(self, purpose: str, *replies: ScriptedReply) -> None:
        with self._lock:
            self._queues[purpose].extend(replies)

    def behave(self, purpose: str, *replies: ScriptedReply,
               refuse_tools: ScriptedReply | None = None,
               refuse_tool_roles: ScriptedReply | None = None) -> Personality:
        """Answer ``purpose`` like a server that refuses what is given, every time."""
        personality = Personality(collections.deque(replies), refuse_tools, refuse_tool_roles)
        with self._lock:
            self.personalities[purpose] = personality
        return personality

    def pending(self, purpose: str) -> int:
        with self._lock:
            personality = self.personalities.get(purpose)
            return len(personality.replies if personality else self._queues[purpose])

    def of(self, purpose: str) -> list[Recorded]:
        return [r for r in self.requests if r.purpose == purpose]

    def gaps(self, purpose: str = "propose") -> list[float]:
        """Seconds between consecutive requests of ``purpose``, as the server saw them."""
        times = [r.at for r in self.of(purpose)]
        return [b - a for a, b in itertools.pairwise(times)]

    def _next(self, record: Recorded) -> ScriptedReply:
        with self._lock:
            self.requests.append(record)
            personality = self.personalities.get(record.purpose)
            if personality is not None:
                return personality.answer(record)
            queue = self._queues[record.purpose]
            if queue:
                return queue.popleft()
        if self.fallback is not None:
            return self.fallback(record)
        return fault(500, f"script exhausted for purpose {record.purpose!r}")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                headers = {k.lower(): v for k, v in self.headers.items()}
                record = Recorded(headers.get("x-agent-purpose", "?"), body, headers,
                                  time.monotonic())
                reply = server._next(record)
                if reply.delay and server._closing.wait(reply.delay):
                    return
                if reply.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                data = reply.body if reply.body is not None else json.dumps(reply.json).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up (a timeout test)
                    if not reply.trickle:
                        self.wfile.write(data)
                        return
                    for i in range(len(data)):
                        self.wfile.write(data[i : i + 1])
                        self.wfile.flush()
                        if server._closing.wait(reply.trickle):
                            return

        return Handler
