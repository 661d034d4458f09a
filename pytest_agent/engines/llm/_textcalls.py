"""Tool calls written in a reply's text, for servers that leave ``tool_calls`` empty.

vLLM without a matching ``--tool-call-parser``, Ollama and LM Studio with a model
whose template the server does not parse, llama.cpp without ``--jinja``, and many
fine-tuned models put the call in ``content``. The dialects read here:

- ``hermes``: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` (Hermes,
  Qwen 2.5/3), and Qwen3-Coder's ``<tool_call><function=name><parameter=k>v</parameter>``.
- ``mistral``: ``[TOOL_CALLS][{"name": ..., "arguments": {...}}]`` and the newer
  ``[TOOL_CALLS]name[ARGS]{...}``.
- ``llama3``: ``<|python_tag|>{"name": ..., "parameters": {...}}`` (``;``-separated).
- ``fence``: a fenced block (```` ```json ````, ```` ```tool_call ````, bare) holding only calls.
- ``json``: a bare JSON object or list of calls standing on its own lines.

A call is accepted only when its name is a known tool and its arguments are a JSON
object; a bare object or fence needs the ``arguments`` (or ``parameters``) key and no
keys a call does not have. So prose that names a tool, a diff that contains a
``<tool_call>`` line, or a JSON document that happens to have a ``name`` is not a call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from typing import Final
from typing import final

from pytest_agent.engines.llm._prompts import extract_diff

__all__ = ["ANY_TOOL", "DIALECTS", "TextCall", "find_text_calls"]

#: The dialects, in the order they are tried.
DIALECTS: Final = ("hermes", "mistral", "llama3", "fence", "json")

_CALL_KEYS: Final = frozenset({"name", "arguments", "parameters", "id", "type"})
_HERMES: Final = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.DOTALL)
_XML_FUNCTION: Final = re.compile(r"^\s*<function=([\w.-]+)>(.*?)</function>\s*$", re.DOTALL)
_XML_PARAMETER: Final = re.compile(r"<parameter=([\w.-]+)>\n?(.*?)\n?</parameter>", re.DOTALL)
_MISTRAL: Final = "[TOOL_CALLS]"
_MISTRAL_NAMED: Final = re.compile(r"\s*([A-Za-z_][\w.-]*)(?:\[CALL_ID\]\w+)?\[ARGS\]")
_PYTHON_TAG: Final = "<|python_tag|>"
_LLAMA_END: Final = re.compile(r"<\|(?:eom_id|eot_id|python_tag)\|>")
_FENCE: Final = re.compile(r"^(```+|~~~+)[ \t]*([\w-]*)[^\n]*\n(.*?)^\1[ \t]*$",
                           re.DOTALL | re.MULTILINE)
_FENCE_LANGS: Final = frozenset({"", "json", "tool_call", "tool_calls", "tool_code", "tool"})
_LINE_START: Final = re.compile(r"^[ \t]*(?=[\[{])", re.MULTILINE)
_DECODER: Final = json.JSONDecoder()


@final
class _AnyName(Collection[str]):
    """Every name: to find call-shaped text that names a tool that does not exist."""

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


#: Pass as ``known`` to read calls whatever tool they name.
ANY_TOOL: Final[Collection[str]] = _AnyName()


@final
@dataclass(frozen=True)
class TextCall:
    """One call read from text: the tool, its arguments (as JSON text), the dialect."""

    name: str
    arguments: str
    dialect: str


def find_text_calls(text: str, known: Collection[str]) -> list[TextCall]:
    """The tool calls written in ``text`` (reasoning already removed), in order.

    Empty when there is none. The first dialect that yields a call decides. A call
    that starts inside the reply's diff (a diff line that holds a ``<tool_call>``) is
    not read; a diff inside a call (``submit_diff``'s argument) is the call's.
    """
    if not text.strip():
        return []
    inside = _diff_span(text)
    for dialect, finder in _FINDERS:
        calls = [TextCall(name, json.dumps(args), dialect)
                 for start, name, args in finder(text, known) if start not in inside]
        if calls:
            return calls
    return []


# -- the dialects ------------------------------------------------------------------


_Found = Iterator[tuple[int, str, dict[str, Any]]]


def _hermes(text: str, known: Collection[str]) -> _Found:
    for match in _HERMES.finditer(text):
        body = match.group(1).strip()
        xml = _XML_FUNCTION.match(body)
        if xml is not None:
            call = _xml_call(xml.group(1), xml.group(2), known)
            if call is not None:
                yield (match.start(), *call)
            continue
        yield from _at(match.start(), _calls_in(_whole_json(body), known, strict=False))


def _mistral(text: str, known: Collection[str]) -> _Found:
    start = text.find(_MISTRAL)
    while start >= 0:
        end = text.find(_MISTRAL, start + 1)
        chunk = text[start + len(_MISTRAL): end if end >= 0 else len(text)]
        yield from _at(start, _mistral_chunk(chunk.lstrip(), known))
        start = end


def _mistral_chunk(body: str, known: Collection[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    if body.startswith(("[", "{")):
        value, _ = _json_at(body, 0)
        yield from _calls_in(value, known, strict=False)
        return
    position = 0
    while (named := _MISTRAL_NAMED.match(body, position)) is not None:
        args, position = _json_at(body, named.end())
        call = _checked(named.group(1), args, known)
        if call is None:
            return
        yield call


def _llama3(text: str, known: Collection[str]) -> _Found:
    start = text.find(_PYTHON_TAG)
    if start < 0:
        return
    body = _LLAMA_END.split(text[start + len(_PYTHON_TAG):])[0]
    position = 0
    while True:
        while position < len(body) and body[position] in " \t\r\n;":
            position += 1
        if position >= len(body):
            return
        value, position = _json_at(body, position)
        if value is None:
            return
        yield from _at(start, _calls_in(value, known, strict=False))


def _fence(text: str, known: Collection[str]) -> _Found:
    for match in _FENCE.finditer(text):
        if match.group(2).lower() in _FENCE_LANGS:
            yield from _at(match.start(),
                           _calls_in(_whole_json(match.group(3)), known, strict=True))


def _bare_json(text: str, known: Collection[str]) -> _Found:
    fenced = [range(m.start(), m.end()) for m in _FENCE.finditer(text)]
    read_to = 0
    for line in _LINE_START.finditer(text):
        if line.end() < read_to or any(line.end() in span for span in fenced):
            continue  # inside a value already read; fenced blocks are the fence dialect's
        value, end = _json_at(text, line.end())
        if value is None:
            continue
        read_to = end
        rest = text[end:].split("\n", 1)[0]
        if rest.strip():
            continue  # the object does not end its line: prose around JSON
        yield from _at(line.end(), _calls_in(value, known, strict=True))


_FINDERS: Final = (("hermes", _hermes), ("mistral", _mistral), ("llama3", _llama3),
                   ("fence", _fence), ("json", _bare_json))


# -- helpers -----------------------------------------------------------------------


def _diff_span(text: str) -> range:
    diff = extract_diff(text).rstrip("\n")
    start = text.find(diff) if diff else -1
    return range(start, start + len(diff)) if start >= 0 else range(0)


def _at(start: int, calls: Iterator[tuple[str, dict[str, Any]]]) -> _Found:
    for name, args in calls:
        yield start, name, args


def _json_at(text: str, position: int) -> tuple[Any, int]:
    """The JSON value starting at ``position`` and where it ends; ``(None, position)``
    when there is none."""
    try:
        return _DECODER.raw_decode(text, position)
    except (ValueError, RecursionError):
        return None, position


def _whole_json(body: str) -> Any:
    body = body.strip()
    value, end = _json_at(body, 0)
    return value if end == len(body) else None


def _calls_in(value: Any, known: Collection[str], *, strict: bool
              ) -> Iterator[tuple[str, dict[str, Any]]]:
    """Calls in a decoded value: one call object, or a list of them (all or none)."""
    items = value if isinstance(value, list) else [value]
    calls = [_call_from(item, known, strict=strict) for item in items]
    if items and all(call is not None for call in calls):
        yield from (call for call in calls if call is not None)


def _call_from(item: Any, known: Collection[str], *, strict: bool
               ) -> tuple[str, dict[str, Any]] | None:
    if not isinstance(item, dict):
        return None
    inner = item.get("function")
    if isinstance(inner, dict) and set(item) <= {"function", "type", "id"}:
        item = inner  # the OpenAI shape, written out by the model
    if not set(item) <= _CALL_KEYS or "name" not in item:
        return None
    if "arguments" in item and "parameters" in item:
        return None
    if strict and "arguments" not in item and "parameters" not in item:
        return None
    args = item.get("arguments", item.get("parameters", {}))
    if isinstance(args, str):  # arguments double-encoded as a JSON string
        args = _whole_json(args) if args.strip() else {}
    return _checked(item["name"], args, known)


def _checked(name: Any, args: Any, known: Collection[str]
             ) -> tuple[str, dict[str, Any]] | None:
    if not isinstance(name, str) or name not in known or not isinstance(args, dict):
        return None
    return name, args


def _xml_call(name: str, body: str, known: Collection[str]
              ) -> tuple[str, dict[str, Any]] | None:
    """Qwen3-Coder's ``<function=name><parameter=key>value</parameter></function>``."""
    args: dict[str, Any] = {}
    for match in _XML_PARAMETER.finditer(body):
        raw = match.group(2)
        value = _whole_json(raw)
        # Numbers and lists are JSON; a path or a diff is the text itself.
        args[match.group(1)] = value if isinstance(value, (int, float, list, dict)) else raw
    rest = _XML_PARAMETER.sub("", body).strip()
    if rest:
        return None
    return _checked(name, args, known)
