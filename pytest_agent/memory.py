"""Task memory: ``memory/scratch/<id>.md`` in the Thought / Observation / Reflexion form.

The scratch file is what the next attempt (and a curious user) reads. Past
``memory_limit_chars`` the older entries are compacted to their first lines, so
the memory stays a bounded prompt; when a task finishes, its scratch memory is
archived under ``memory/archive/``. Secrets are redacted before anything is
written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from collections.abc import Iterable
from pathlib import Path

__all__ = ["TaskMemory", "redact"]

# Shapes of common API keys, redacted even when the key is not in our settings.
_KEY_SHAPES = re.compile(
    r"(sk-[A-Za-z0-9_\-]{16,}|Bearer\s+[A-Za-z0-9._\-]{16,}|ghp_[A-Za-z0-9]{20,})"
)
_REDACTED = "[REDACTED]"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every known secret and anything shaped like an API key removed."""
    # Longest first: a secret that starts another one must not leave the other's tail.
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and len(secret) >= 4:
            text = text.replace(secret, _REDACTED)
    return _KEY_SHAPES.sub(_REDACTED, text)


_ENTRY = re.compile(r"^### ", re.MULTILINE)


class TaskMemory:
    """The scratch memory of one task."""

    def __init__(
        self,
        memory_dir: Path,
        task_id: str,
        *,
        secrets: Iterable[str] = (),
        limit_chars: int = 8000,
        summarize: Callable[[str], str | None] | None = None,
    ) -> None:
        self.memory_dir = memory_dir
        self.task_id = task_id
        self.path = memory_dir / "scratch" / f"{task_id}.md"
        self._secrets = tuple(s for s in secrets if s)
        self._limit = limit_chars
        self._summarize = summarize

    def read(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def start_run(self, description: str) -> None:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        header = f"# {self.task_id}\n\n{description.strip()}\n\n" if not self.read() else ""
        self._append(f"{header}## Run {now}\n\n")

    def thought(self, attempt: int, text: str) -> None:
        self._entry(attempt, "Thought", text)

    def observation(self, attempt: int, text: str) -> None:
        self._entry(attempt, "Observation", text)

    def reflexion(self, attempt: int, text: str) -> None:
        self._entry(attempt, "Reflexion", text)

    def context(self, attempt: int, text: str) -> None:
        """What the proposer was given (the context pack), so a user can see it."""
        self._entry(attempt, "Context", text, fence=True)

    def archive(self) -> Path | None:
        """Move the scratch memory of a finished task to ``memory/archive/``."""
        if not self.path.exists():
            return None
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.memory_dir / "archive" / f"{self.task_id}-{stamp}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        self.path.replace(target)
        return target

    # -- internals -----------------------------------------------------------

    def _entry(self, attempt: int, kind: str, text: str, *, fence: bool = False) -> None:
        body = text.strip() or "(nothing)"
        if fence:
            body = f"~~~~\n{body}\n~~~~"
        self._append(f"### Attempt {attempt} · {kind}\n\n{body}\n\n")
        self._compact()

    def _append(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(redact(text, self._secrets))

    def _compact(self) -> None:
        text = self.read()
        if len(text) <= self._limit:
            return
        starts = [m.start() for m in _ENTRY.finditer(text)]
        if len(starts) < 4:
            return
        # Keep the head (title, description) and the newest entries in full; the
        # older entries shrink to a summary (a model's, when one is configured).
        head, older, newer = text[: starts[0]], text[starts[0] : starts[-3]], text[starts[-3] :]
        summary = self._summarize(older) if self._summarize else None
        if not summary:
            summary = "\n".join(
                "- " + block.splitlines()[0].removeprefix("### ") + ": "
                + next((ln for ln in block.splitlines()[1:] if ln.strip()), "")[:160]
                for block in _ENTRY.split(older) if block.strip()
            )
        compacted = f"{head}### Earlier entries (summarized)\n\n{summary.strip()}\n\n{newer}"
        self.path.write_text(redact(compacted, self._secrets), encoding="utf-8")
