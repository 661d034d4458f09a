"""One way to replace a file's content atomically: a temp file beside it, then a rename.

A reader (another process, a CI artifact upload, a crash halfway) sees the old
content or the new one, never half of it. Used for plan write-back, the patch
engine's writes, the HTML report and the LLM engine's cost ledger.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(
    path: Path, data: str | bytes, *, mode: int | None = None, fsync: bool = False
) -> None:
    """Replace ``path``'s content with ``data`` (text is written as UTF-8, newlines as given).

    :param mode: The permission bits of the new file. ``None`` keeps those of the file
        being replaced, or for a new file gives what ``open()`` would (``0o666`` less
        the umask); the temp file itself is private until renamed.
    :param fsync: Flush the data to disk before the rename (for files whose loss
        after a crash matters, such as the plan).
    :raises OSError: The directory is not writable, the disk is full...; the temp
        file is removed and ``path`` is left as it was.
    """
    if mode is None:
        mode = _mode_of(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        # Re-raised: only the temp file is cleaned up here.
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_of(path: Path) -> int:
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
