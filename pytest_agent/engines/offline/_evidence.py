"""What the failing tests' failure texts say about the kind of fix (issue #12 follow-up).

Localization says *where* (lines, functions); the failure says *what kind* of edit is
likely. An ``IndexError`` / ``StopIteration`` / ``ZeroDivisionError`` in the code under
test is most often a missing guard; a ``TypeError``/``AttributeError`` on ``None`` a
missing ``None`` check; a ``TypeError`` about operand or argument types a missing or
wrong conversion; a ``TypeError`` about the number of arguments a wrong call; a test
that expected an exception (``DID NOT RAISE``) a missing check that raises; an
assertion whose two sides have different types (``None == False``, ``1.0 == '1'``) a
conversion of the produced value. These are the fault classes of the repair
literature's "fix patterns by symptom" (e.g. TBar's null-pointer and cast templates,
Getafix's exception-driven ranking); the factors below are round numbers that move
such edits ahead of the generic mutations *at the same line*, never off the lines that
localization chose.

:class:`Evidence` is read once per search from the baseline's failure texts of the
failing accept tests; :meth:`Evidence.factor` multiplies an edit's rank score.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from typing import final

from pytest_agent.engines.offline._source import Edit

__all__ = ["Evidence", "raised_errors", "symptoms"]

# ``E       TypeError: unsupported operand ...`` (pytest) / ``ValueError: ...`` (Python).
_RAISED: Final = re.compile(
    r"^(?:E\s+)?(?P<type>(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Iteration))"
    r"(?::\s*(?P<message>.*))?$", re.MULTILINE)
_NOT_RAISED: Final = re.compile(r"DID NOT RAISE <class '(?:[\w.]*\.)?(?P<type>\w+)'>")
# ``E       assert None == False`` / ``E       AssertionError: assert '1.0 B' == '1 B'``.
_ASSERT: Final = re.compile(r"^E\s+(?:AssertionError: )?assert (?P<left>.+?) "
                            r"(?P<op>==|!=|is not|is) (?P<right>.+?)\s*$", re.MULTILINE)
# unittest's ``assertEqual``/``assertIs``: ``AssertionError: None is not False``, ``1 != '1'``.
_UNITTEST: Final = re.compile(r"^E?\s*AssertionError: (?P<left>.+?) (?P<op>!=|is not) "
                              r"(?P<right>.+?)\s*$", re.MULTILINE)
# pytest's explanation of ``assert isinstance(value, T)``.
_ISINSTANCE: Final = re.compile(r"where False = isinstance\(")

#: Exceptions that an empty, zero or out-of-range input raises where a guard is missing.
GUARD_ERRORS: Final = frozenset({
    "IndexError", "KeyError", "StopIteration", "ZeroDivisionError", "ValueError",
    "RecursionError", "OverflowError", "UnboundLocalError"})
_BUILTIN_OBJECT: Final = re.compile(r"^'(?:int|float|str|bytes|bool|list|tuple|dict|set|"
                                    r"generator|map|filter|zip|range)' object")
_NONE: Final = re.compile(r"'NoneType'|NoneType|None has no|of None")
_SIGNATURE: Final = re.compile(r"positional argument|keyword argument|required positional|"
                               r"takes no arguments|takes \d+|missing \d+ required")
#: Multipliers of an edit's score per symptom, by operator (edit kinds that fix it).
FACTORS: Final[dict[str, dict[str, float]]] = {
    "guard": {"guard": 2.5, "none-guard": 1.5, "synthesize-condition": 1.5,
              "strengthen": 1.5, "weaken": 1.3, "off-by-one": 1.3, "slice-sequence": 1.3,
              "compare": 1.2, "wrap-call": 1.2, "raise-guard": 1.5, "catch": 2.5},
    "none": {"none-guard": 3.0, "guard": 2.0, "strengthen": 1.5, "wrap-call": 1.3},
    "types": {"wrap-call": 2.5, "unwrap-call": 2.0, "own-class": 1.5, "call": 1.3,
              "variable": 1.3, "attribute": 1.3, "reuse-expression": 1.3,
              "swap-args": 1.2},
    "signature": {"drop-arg": 3.0, "swap-args": 1.5, "call": 1.5, "reuse-expression": 1.3},
    "attribute": {"attribute": 1.5, "call": 1.5, "own-class": 1.5, "variable": 1.3},
    "not-raised": {"raise-guard": 3.0, "compare": 1.3, "negate": 1.3, "boolop": 1.3,
                   "drop-conjunct": 1.3, "strengthen": 1.3, "weaken": 1.3,
                   "synthesize-condition": 1.3},
    # The produced value has another type than the expected one: a conversion.
    "type-mismatch": {"wrap-call": 2.5, "unwrap-call": 2.0, "return-expression": 1.3},
}
#: An edit that writes the conversion to the expected value's type.
CONVERSION_BOOST: Final = 1.5
#: Wraps that clamp a number into range (``max(0, n - 1)``): a guard in expression form,
#: ranked as a guard where the failure is one a guard fixes (a negative precision or
#: index raising ``ValueError`` / ``IndexError``).
CLAMPS: Final = ("max(0, ", "abs(")


def symptoms(texts: Iterable[str]) -> tuple[set[str], set[str], set[str]]:
    """The symptoms of failure texts, the exceptions expected and not raised, and the
    types of the values the failing assertions expected (``{"bool"}``)."""
    found: set[str] = set()
    not_raised: set[str] = set()
    expected: set[str] = set()
    for text in texts:
        not_raised.update(m.group("type") for m in _NOT_RAISED.finditer(text))
        for match in _RAISED.finditer(text):
            found |= _classify(match.group("type").rsplit(".", 1)[-1],
                               match.group("message") or "")
        for match in [*_ASSERT.finditer(text), *_UNITTEST.finditer(text)]:
            mismatch = _mismatch(match.group("left"), match.group("right"))
            if mismatch:
                found.add("type-mismatch")
                expected.add(mismatch)
        if _ISINSTANCE.search(text):
            found.add("type-mismatch")
    if not_raised:
        found.add("not-raised")
    return found, not_raised, expected


def raised_errors(texts: Iterable[str]) -> tuple[str, ...]:
    """The exceptions of :data:`GUARD_ERRORS` raised in failure texts (``E  StopIteration``,
    also inside ``RuntimeError: generator raised StopIteration``), sorted."""
    found: set[str] = set()
    for text in texts:
        for match in _RAISED.finditer(text):
            name = match.group("type").rsplit(".", 1)[-1]
            found.update({name} & GUARD_ERRORS)
            found.update(GUARD_ERRORS & set(re.findall(r"\w+", match.group("message") or "")))
    return tuple(sorted(found))


def _classify(name: str, message: str) -> set[str]:
    found: set[str] = set()
    if name in GUARD_ERRORS:
        found.add("guard")
    if name in ("TypeError", "AttributeError") and _NONE.search(message):
        found.add("none")
    elif name == "TypeError" and _SIGNATURE.search(message):
        found.add("signature")
    elif name == "TypeError":
        # Operand or argument types ("unsupported operand", "can only concatenate",
        # "not iterable", "must be str"...): a missing or wrong conversion.
        found.add("types")
    elif name == "AttributeError":
        found.add("attribute")
        if _BUILTIN_OBJECT.search(message):
            found.add("types")  # ``'int' object has no attribute``: a value of the wrong type
    return found


def _literal_type(text: str) -> str | None:
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return type(value).__name__


def _mismatch(left: str, right: str) -> str | None:
    """The expected (right-hand, pytest's convention ``assert actual == expected``) type
    when both sides are literals of different types, else ``None`` (ints and floats
    compare equal: no mismatch)."""
    a, b = _literal_type(left), _literal_type(right)
    if a is None or b is None or a == b or {a, b} <= {"int", "float"}:
        return None
    if b == "NoneType":
        return None  # ``x is None`` expected: a guard or a return, not a conversion
    return b


@final
@dataclass(frozen=True)
class Evidence:
    """The symptoms of the failing accept tests, and what they make of an edit's score."""

    symptoms: frozenset[str] = frozenset()
    #: Exception names the tests expected and the code did not raise.
    not_raised: tuple[str, ...] = ()
    #: Type names of the values failing assertions expected (``bool``, ``str``).
    expected_types: frozenset[str] = frozenset()
    #: The exceptions of :data:`GUARD_ERRORS` the failing tests saw raised (sorted).
    raised: tuple[str, ...] = ()

    @classmethod
    def from_failures(cls, failures: Mapping[str, str], failing: Sequence[str]) -> Evidence:
        texts = [failures[n] for n in failing if n in failures]
        found, not_raised, expected = symptoms(texts)
        return cls(frozenset(found), tuple(sorted(not_raised)), frozenset(expected),
                   raised_errors(texts))

    def factor(self, edit: Edit) -> float:
        """The largest multiplier any symptom gives the edit's operator (1 when none)."""
        best = 1.0
        for symptom in self.symptoms:
            best = max(best, FACTORS.get(symptom, {}).get(edit.op, 1.0))
        if edit.op == "wrap-call" and any(edit.new.startswith(f"{t}(")
                                          for t in self.expected_types):
            best *= CONVERSION_BOOST
        if edit.op == "wrap-call" and "guard" in self.symptoms and \
                edit.new.startswith(CLAMPS):
            best = max(best, FACTORS["guard"]["guard"])
        return best
