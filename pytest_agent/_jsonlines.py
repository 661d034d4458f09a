"""One JSON object per line over a pipe, read with a deadline.

The protocol of the harness's helper processes (the warm test server and the offline
engine's validation workers): requests and answers are single-line JSON objects.
"""

from __future__ import annotations

import json
import os
import select
import time
from typing import Any
from typing import final

__all__ = ["JsonLineReader"]


@final
class JsonLineReader:
    """Reads whole lines from a pipe, keeping what came after the last one for the next call."""

    def __init__(self) -> None:
        self._buffer = b""

    def receive(self, fd: int, deadline: float) -> dict[str, Any] | None:
        """The next JSON object from ``fd``; ``None`` at ``deadline`` (monotonic) or at EOF."""
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None  # the process at the other end is gone
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        answer: dict[str, Any] = json.loads(line)
        return answer
