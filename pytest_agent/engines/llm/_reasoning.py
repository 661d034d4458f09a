"""Reasoning kept apart from the answer: ``<think>`` blocks and reasoning fields.

Reasoning models write a draft before the answer: in ``<think>...</think>`` in the
content (DeepSeek-R1 distills, Qwen3, QwQ on servers without a reasoning parser),
with only the closing tag when the chat template opened the block itself, or in a
separate field (``reasoning_content``: DeepSeek, llama.cpp, LM Studio, older vLLM;
``reasoning``: vLLM 0.11+, Ollama). A draft diff or a "let me call read_file" in
there is not the answer: it is never mined for diffs or tool calls, is kept only
shortened in the task's notes, and is not sent back (DeepSeek's API refuses a
request that carries it; other templates re-render it and pay for it).
"""

from __future__ import annotations

import re
from typing import Any
from typing import Final

__all__ = ["REASONING_FIELDS", "shorten", "split_reasoning"]

#: Message fields that carry reasoning, by server.
REASONING_FIELDS: Final = ("reasoning_content", "reasoning")

_BLOCK: Final = re.compile(r"<(think|thinking|reasoning)>(.*?)</\1>", re.DOTALL | re.IGNORECASE)
_OPEN: Final = re.compile(r"<(think|thinking|reasoning)>", re.IGNORECASE)
_CLOSE: Final = re.compile(r"</(think|thinking|reasoning)>", re.IGNORECASE)
_HEAD: Final = 240
_TAIL: Final = 120


def split_reasoning(content: str, message: dict[str, Any] | None = None) -> tuple[str, str]:
    """``(answer, reasoning)`` of one reply's content (and its message's fields)."""
    parts: list[str] = []
    for key in REASONING_FIELDS:
        value = (message or {}).get(key)
        if isinstance(value, str) and value.strip():
            parts.append(value.strip())
            break  # servers that send both send the same text twice
    # A closing tag before any opening one: the template opened the block.
    close = _CLOSE.search(content)
    opening = _OPEN.search(content)
    if close is not None and (opening is None or opening.start() > close.start()):
        parts.append(content[: close.start()].strip())
        content = content[close.end():]
    parts.extend(m.group(2).strip() for m in _BLOCK.finditer(content))
    content = _BLOCK.sub("", content)
    opening = _OPEN.search(content)
    if opening is not None:  # never closed: cut off while thinking
        parts.append(content[opening.end():].strip())
        content = content[: opening.start()]
    return content.strip(), "\n\n".join(p for p in parts if p)


def shorten(reasoning: str) -> str:
    """The reasoning for the task's notes: its start and end, with the size."""
    text = " ".join(reasoning.split())
    if len(text) <= _HEAD + _TAIL + 20:
        return text
    return f"{text[:_HEAD]} [... {len(text) - _HEAD - _TAIL} characters ...] {text[-_TAIL:]}"
