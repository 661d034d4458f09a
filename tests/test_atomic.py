"""pytest_agent._atomic.write_atomic: the one temp-file-and-rename write."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pytest_agent._atomic import write_atomic


def test_replaces_content_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("old\n", encoding="utf-8")
    path.chmod(0o640)
    write_atomic(path, "new\r\nline é\n", fsync=True)
    assert path.read_bytes() == "new\r\nline é\n".encode()  # newlines as given
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.yaml"]


def test_new_file_gets_the_umask_mode_or_the_given_one(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "a.bin", b"\x00\x01")
        write_atomic(tmp_path / "report.html", "<p>", mode=0o644)
        write_atomic(tmp_path / "ledger.json", "{}", mode=0o600)
    finally:
        os.umask(umask)
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert stat.S_IMODE((tmp_path / "a.bin").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "ledger.json").stat().st_mode) == 0o600


def test_a_failed_rename_leaves_the_target_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "inside").write_text("kept", encoding="utf-8")
    with pytest.raises(OSError):
        write_atomic(target, "text")  # a file cannot replace a directory
    assert (target / "inside").read_text(encoding="utf-8") == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target"]
