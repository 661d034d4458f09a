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

__all__ = ["ChatServer", "Recorded", "ScriptedReply", "chat", "fault", "tool_call"]


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
) -> ScriptedReply:
    """A successful chat completion with ``content`` and/or ``tool_calls``."""
    message: dict[str, Any] = {"role": "assistant", "content": content or None}
    if tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": call}
            for i, call in enumerate(tool_calls)
        ]
    data: dict[str, Any] = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "test-model",
        "choices": [{"index": 0, "message": message,
                     "finish_reason": "tool_calls" if tool_calls else "stop"}],
    }
    if usage:
        data["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                         "total_tokens": prompt_tokens + completion_tokens}
    return ScriptedReply(json=data)


def fault(
    status: int, body: str = "", *, headers: dict[str, str] | None = None
) -> ScriptedReply:
    """An error status with an OpenAI-style error body."""
    payload = {"error": {"message": body or f"status {status}", "type": "test", "code": None}}
    return ScriptedReply(status=status, json=payload, headers=headers or {})


class ChatServer:
    """The server; ``url`` is the ``base_url`` to give the engine."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._queues: dict[str, collections.deque[ScriptedReply]] = collections.defaultdict(
            collections.deque
        )
        #: Called for a purpose whose queue is empty; the default answers 500.
        self.fallback: Callable[[Recorded], ScriptedReply] | None = None
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

    def pending(self, purpose: str) -> int:
        with self._lock:
            return len(self._queues[purpose])

    def of(self, purpose: str) -> list[Recorded]:
        return [r for r in self.requests if r.purpose == purpose]

    def gaps(self, purpose: str = "propose") -> list[float]:
        """Seconds between consecutive requests of ``purpose``, as the server saw them."""
        times = [r.at for r in self.of(purpose)]
        return [b - a for a, b in itertools.pairwise(times)]

    def _next(self, record: Recorded) -> ScriptedReply:
        with self._lock:
            self.requests.append(record)
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
