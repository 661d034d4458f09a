"""Where the wrong text of a failing comparison was made (output provenance, issue #17).

A test of a text-producing project (a renderer, a formatter, a writer) compares an
output string with an expected one, and every test runs the whole pipeline: the
spectrum cannot tell the faulty stage from the others, and value flow (the chain of
calls that returned *this very object*, :mod:`._evidence`) stops at the function that
returned the final string, since concatenation makes new objects. What the
comparison does tell is *which text is wrong*; debugging practice (and dynamic
slicing's "where did this output come from?", Ko and Myers's WhyLine) follows that
text back to the function that first made it:

1. the **compared operands** of the failing comparison (pytest's rewritten ``a == b``,
   unittest's ``assertEqual`` family, captured by :mod:`._covplugin`);
2. the **wrong segment** of each text operand: the shortest substring around the first
   difference (difflib) that the other operand does not contain; for a deletion, the
   junction of the text on both sides of it;
3. its **origin**: the first project function, in time order (callees return before
   their callers), whose returned string contains the segment (from the ring of
   :class:`._evidence.ReturnRecorder`); its callers only passed it on.

Which operand is the program's output is not known: both are tried; the expected one
is normally a literal of the test, which no project function returned. When both
operands' segments were made by project code, which one is wrong is unknown and
nothing is claimed (see :func:`origin_signal`).

The inner run imports this module: standard library only there.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from types import CodeType
from typing import TYPE_CHECKING
from typing import Any
from typing import final

if TYPE_CHECKING:
    from pytest_agent.localize._coverage import ExceptionRecord
    from pytest_agent.localize._signals import TracebackSignals

__all__ = [
    "ORIGINS_ENV",
    "TextOrigin",
    "chosen_origins",
    "compared_texts",
    "origin_signal",
    "origins_from_record",
    "text_origins",
    "wrong_segment",
    "wrong_segments",
]

#: ``"0"``: the inner run captures no compared operands and records no origins (for
#: ``benchmarks/localize/origin_cost.py``, which measures what they cost).
ORIGINS_ENV = "PYTEST_AGENT_LOCALIZE_ORIGINS"
#: Characters of an operand looked at (a longer text is cut: its first difference is
#: what counts, and difflib is quadratic).
_MAX_TEXT = 200_000
#: The longest segment tried: beyond it every window around the difference also occurs
#: in the other text (a repetition), and the difference has no text of its own.
_MAX_SEGMENT = 80
#: Characters of the differing middles that difflib aligns (after the common prefix and
#: suffix are cut off).
_MAX_ALIGNED = 1_000
#: Characters of a segment kept in the record and in the evidence.
_SHOWN = 40
#: Only segments with a letter or digit name an origin: whitespace and punctuation
#: (separators, padding, markup) are made by the stages that assemble the text.
WORDS_ONLY = True
#: Items of a returned tuple or list searched for the segment.
_MAX_ITEMS = 20
#: Makers recorded per operand (the first is the origin).
_KEPT = 6
_Text = str | bytes


@final
@dataclass(frozen=True)
class TextOrigin:
    """The project function that first returned the wrong text of a failing comparison."""

    #: Absolute filename, first line and qualname of the function.
    file: str
    line: int
    qualname: str
    #: The wrong segment (shortened to ``_SHOWN`` characters), as ``repr`` shows it.
    segment: str
    #: Length of the string the function returned, and of the compared text it is in.
    returned: int
    output: int
    #: How many project functions returned a string that contains the segment (the
    #: origin and the callers that passed it on, or a segment common enough to be
    #: anywhere).
    makers: int
    #: Which operand of the comparison held the segment (0: left, 1: right).
    side: int
    #: The place of this function among the makers, in the order of their first such
    #: return (0: the origin; the others are kept for the benchmark's variants).
    order: int = 0
    #: The returned string occurs in the compared text as it is (a piece of it).
    piece: bool = False
    #: The segment occurs in a string literal of the failing test (its input): the
    #: functions passed on the test's text rather than made it.
    literal: bool = False


def _as_text(value: object) -> _Text | None:
    """A compared value as one text: a string, bytes, or a list or tuple of strings (joined
    by newlines: a list of lines)."""
    if isinstance(value, str | bytes):
        return value[:_MAX_TEXT]
    if isinstance(value, list | tuple) and value and all(type(v) is str for v in value):
        return "\n".join(value)[:_MAX_TEXT]
    return None


def compared_texts(pairs: Sequence[tuple[object, object]]) -> tuple[_Text, _Text] | None:
    """The texts of the failing comparison, from the operand pairs captured in the test
    (the last pair of texts: unittest's ``assertSequenceEqual`` renders the sequences,
    then the first differing items)."""
    for left, right in reversed(pairs):
        a, b = _as_text(left), _as_text(right)
        if a is not None and b is not None and type(a) is type(b) and a != b:
            return a, b
    return None


def _first_difference(a: _Text, b: _Text) -> tuple[int, int]:
    """``(start, end)`` in ``a`` of the first region where ``a`` and ``b`` differ; an
    empty region (``start == end``) where ``a`` lacks text that ``b`` has."""
    n = min(len(a), len(b))
    start = 0
    while start < n and a[start] == b[start]:
        start += 1
    tail = 0
    while tail < n - start and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    mid_a, mid_b = a[start:len(a) - tail], b[start:len(b) - tail]
    if not mid_a or not mid_b:
        return start, start + len(mid_a)
    matcher = difflib.SequenceMatcher(None, mid_a[:_MAX_ALIGNED], mid_b[:_MAX_ALIGNED],
                                      autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag != "equal":
            return start + i1, start + i2
    return start, start + len(mid_a)  # pragma: no cover - the middles differ at 0


def wrong_segment(a: _Text, b: _Text) -> _Text | None:
    """The shortest substring of ``a`` around its first difference from ``b`` that ``b``
    does not contain (the first of :func:`wrong_segments`)."""
    found = wrong_segments(a, b)
    return found[0] if found else None


def wrong_segments(a: _Text, b: _Text) -> list[_Text]:
    """The shortest substrings of ``a`` around its first difference from ``b`` that ``b``
    does not contain, all of one length; none when ``a == b`` or every window up to
    ``_MAX_SEGMENT`` characters also occurs in ``b``.

    A window holds the first differing character of ``a`` or, when ``a`` lacks text
    there (a deletion), the characters on both sides of the gap. The one that starts
    furthest right comes first: the text before the difference is right, and may have
    been made by another function (which window a function made, :func:`text_origins`
    decides).
    """
    if a == b:
        return []
    start, end = _first_difference(a, b)
    if start < end:
        need = (start, start + 1)
    else:  # the junction of the text on both sides of what is missing
        need = (max(start - 1, 0), min(start + 1, len(a)))
        if need[0] == need[1]:
            return []  # ``a`` is empty
    for length in range(need[1] - need[0], min(_MAX_SEGMENT, len(a)) + 1):
        found = [window for lo in range(min(need[0], len(a) - length),
                                        max(need[1] - length, 0) - 1, -1)
                 if not _contains(b, window := a[lo:lo + length])]
        if found:
            return list(dict.fromkeys(found))
    return []


def _makers(returns: Sequence[tuple[CodeType, CodeType | None, object]],
            segment: _Text, is_project: Any) -> list[tuple[int, CodeType, _Text]]:
    """The project functions that returned a text containing ``segment``, in the order of
    their first such return, each with its place in ``returns`` and that text."""
    found: dict[CodeType, tuple[int, CodeType, _Text]] = {}
    for i, (code, _, value) in enumerate(returns):
        if code in found:
            continue
        text = _holding(value, segment)
        if text is not None and is_project(code.co_filename):
            found[code] = (i, code, text)
    return list(found.values())


def _holding(value: object, segment: _Text) -> _Text | None:
    """The text of a returned value that contains ``segment``: the value, or one of the
    strings of a returned tuple or list (``pattern_to_regex`` returns ``(regex,
    include)``), shallow."""
    if isinstance(value, str | bytes):
        return value if _contains(value, segment) else None
    if isinstance(value, tuple | list) and len(value) <= _MAX_ITEMS:
        for item in value:
            if isinstance(item, str | bytes) and _contains(item, segment):
                return item
    return None


def _contains(text: _Text, part: _Text) -> bool:
    if isinstance(text, str):
        return isinstance(part, str) and part in text
    return isinstance(part, bytes) and part in text


def text_origins(pairs: Sequence[tuple[object, object]],
                 returns: Sequence[tuple[CodeType, CodeType | None, object]],
                 is_project: Any, literals: Iterable[_Text] = ()) -> list[dict[str, Any]]:
    """The origins of the wrong text of a failing comparison, as the inner run records
    them: per operand, the project functions that returned its wrong segment, the first
    one first.

    Of the shortest windows around the difference, the one a project function returned
    first wins: callees return before their callers, so a window inside the text one
    function made beats one that reaches into its neighbour's (``"85"`` of a
    mis-formatted cell ``"...999985"`` before ``"5 "``, which only the row joined).

    :param pairs: The operand pairs the test compared, in order (see :func:`compared_texts`).
    :param returns: ``(callee code, caller code, returned value)``, oldest first.
    :param is_project: ``filename -> bool``: project code (not a test, not installed).
    :param literals: The failing test's string literals: a segment found in one came
        from the test (its input), and the functions only passed it on (``literal``).
    """
    texts = compared_texts(pairs)
    if texts is None:
        return []
    found: list[dict[str, Any]] = []
    literals = list(literals)
    for side in (0, 1):
        text, other = texts[side], texts[1 - side]
        choices = [(_makers(returns, w, is_project), w) for w in wrong_segments(text, other)]
        choices = [(m, w) for m, w in choices if m]
        if not choices:
            continue
        makers, segment = min(choices, key=lambda c: c[0][0][0])
        shown = _shown(segment)
        literal = any(_contains(lit, segment) for lit in literals)
        for order, (_, code, returned) in enumerate(makers[:_KEPT]):
            found.append({"file": code.co_filename, "line": code.co_firstlineno,
                          "qualname": code.co_qualname, "segment": shown,
                          "returned": len(returned), "output": len(text),
                          "makers": len(makers), "side": side, "order": order,
                          "piece": _contains(text, returned), "literal": literal})
    return found


def _shown(segment: _Text) -> str:
    shown = repr(segment)
    return shown if len(shown) <= _SHOWN else shown[:_SHOWN - 3] + "..."


def origins_from_record(rec: dict[str, Any]) -> tuple[TextOrigin, ...]:
    """The origins of an exception record of the inner run (none in older records)."""
    return tuple(
        TextOrigin(file=str(o["file"]), line=int(o["line"]), qualname=str(o["qualname"]),
                   segment=str(o["segment"]), returned=int(o["returned"]),
                   output=int(o["output"]), makers=int(o["makers"]), side=int(o["side"]),
                   order=int(o.get("order", 0)), piece=bool(o.get("piece")),
                   literal=bool(o.get("literal")))
        for o in rec.get("origins", []))


def _has_word(shown: str) -> bool:
    """The segment (as recorded: its ``repr``, maybe shortened) has a letter or digit."""
    if shown.endswith("..."):
        return True  # long enough to be specific
    try:
        segment = ast.literal_eval(shown)
    except (ValueError, SyntaxError):
        return True
    text = segment.decode("latin-1") if isinstance(segment, bytes) else str(segment)
    return any(c.isalnum() for c in text)


def chosen_origins(origins: Sequence[TextOrigin]) -> list[TextOrigin]:
    """The origins that name where the wrong text was made, of a comparison's records.

    The side whose segment a project function returned, unless the segment is in the
    test's own literals (its input: passed on, not made); when both sides' were (a test
    that compares with text the project also made: a round trip, another call), the
    side that a project function returned whole (the output; the expected text is a
    literal of the test), or the one function both sides name; otherwise none.
    """
    first = {o.side: o for o in origins if o.order == 0 and not o.literal
             and (not WORDS_ONLY or _has_word(o.segment))}
    if len(first) == 2:
        whole = {o.side for o in origins if o.piece and o.returned == o.output}
        if len(whole) == 1:
            return [first[whole.pop()]]
        a, b = first[0], first[1]
        return [a] if (a.file, a.line) == (b.file, b.line) else []
    return list(first.values())


def origin_signal(signals: TracebackSignals, rec: ExceptionRecord, weight: float) -> bool:
    """Weigh the function that first made the wrong text of ``rec``'s comparison: the
    same fact as value flow (it made what the failing line checks), made precise, so it
    joins "the strongest of the three" (:meth:`TracebackSignals._checked`).

    Nothing when the weight is 0 or :func:`chosen_origins` names none.
    """
    if weight <= 0:
        return False
    used = False
    for origin in chosen_origins(getattr(rec, "origins", ())):
        place = signals.ranker.code_function(origin.file, origin.line)
        if place is None:
            continue
        signals._checked(*place, weight * signals.share,
                         f"first returned the text {origin.segment} that the failing "
                         "comparison did not expect", "W_TEXT_ORIGIN")
        used = True
    return used
