"""A file's text as logical lines that remember their own endings and encoding.

Lines the patch keeps are written back byte for byte (their own ``\\r\\n`` or
``\\n``); lines it adds get the file's dominant ending. Files that are not UTF-8
are read as latin-1, which maps every byte to one character, so they round-trip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import final

__all__ = ["FileText"]

_BOM = "\ufeff"


@final
@dataclass
class FileText:
    """Decoded lines of a file, each with its ending, plus how to encode them again."""

    lines: list[str]
    ends: list[str]
    encoding: str
    bom: bool

    @classmethod
    def decode(cls, data: bytes) -> FileText:
        try:
            text = data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            encoding = "latin-1"
        bom = text.startswith(_BOM)
        if bom:
            text = text[1:]
        # str.splitlines also splits on \x0c, \x1c, \u2028...; a file's lines are \n-ended.
        lines, ends = _split_newlines(text)
        return cls(lines, ends, encoding, bom)

    @property
    def newline(self) -> str:
        """The dominant line ending (``\\n`` for a file without any)."""
        crlf = sum(1 for e in self.ends if e == "\r\n")
        lf = sum(1 for e in self.ends if e == "\n")
        return "\r\n" if crlf > lf else "\n"

    @property
    def final_eol(self) -> bool:
        return not self.ends or self.ends[-1] != ""

    def encode(self) -> bytes:
        text = "".join(line + end for line, end in zip(self.lines, self.ends, strict=True))
        if self.bom:
            text = _BOM + text
        return text.encode(self.encoding)


def _split_newlines(text: str) -> tuple[list[str], list[str]]:
    lines: list[str] = []
    ends: list[str] = []
    start = 0
    while start < len(text):
        nl = text.find("\n", start)
        if nl < 0:
            lines.append(text[start:])
            ends.append("")
            break
        if nl > start and text[nl - 1] == "\r":
            lines.append(text[start : nl - 1])
            ends.append("\r\n")
        else:
            lines.append(text[start:nl])
            ends.append("\n")
        start = nl + 1
    return lines, ends
