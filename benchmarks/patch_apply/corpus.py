"""Build the patch benchmark corpus: real edits of real functions, then perturbed diffs.

Sources are this project's modules and the standard library's top-level modules
(``Lib/*.py`` of the running Python). For each picked function one real edit is made
(change a line, insert a line, delete a line, or rename a local everywhere in the
function), its correct unified diff is generated with difflib, and each perturbation
kind rewrites that diff the way models get diffs wrong. A case's expected result is
the edited file, byte for byte.
"""

from __future__ import annotations

import ast
import difflib
import random
import re
import sysconfig
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

KINDS = (
    "clean",
    "drift",
    "wrong-counts",
    "no-line-numbers",
    "missing-context",
    "reindent",
    "whitespace",
    "paraphrase",
    "no-headers-prose",
    "no-headers-task",
    "fence",
    "no-prefix",
    "crlf-diff",
    "crlf-file",
    "search-replace",
    "whole-file",
    "model-mix",
)


@dataclass
class Base:
    """One real edit: the file's path, its bytes before and after, the correct diff."""

    rel: str
    before: str
    after: str
    edit: str
    diff: str


@dataclass
class Case:
    kind: str
    base: Base
    text: str
    before: bytes
    expected: bytes
    #: Files the task names (only for ``no-headers-task``).
    task_files: tuple[str, ...] = ()
    #: The tools get ``-p0`` when the diff has no ``a/``/``b/`` prefixes.
    strip: int = 1
    notes: list[str] = field(default_factory=list)


@dataclass
class _Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    body: list[str]


def _sources(rng: random.Random) -> list[tuple[str, str]]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files: list[tuple[str, Path]] = [
        (f"pytest_agent/{p.relative_to(REPO / 'pytest_agent').as_posix()}", p)
        for p in sorted((REPO / "pytest_agent").rglob("*.py"))
    ]
    files += [(f"stdlib/{p.name}", p) for p in sorted(stdlib.glob("*.py"))]
    out: list[tuple[str, str]] = []
    for rel, path in files:
        try:
            text = path.read_text("utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if text.endswith("\n") and "\r" not in text and "\t" not in text and len(text) < 400_000:
            out.append((rel, text))
    rng.shuffle(out)
    return out


def _functions(text: str) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    return [
        n for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        and n.end_lineno is not None and n.end_lineno - n.body[0].lineno >= 3
    ]


_CODE = re.compile(r"^\s*[A-Za-z_(\[]")


def _edit(rng: random.Random, text: str, fn: ast.FunctionDef | ast.AsyncFunctionDef,
          kind: str) -> str | None:
    lines = text.splitlines(keepends=True)
    first = fn.body[0].lineno
    if isinstance(fn.body[0], ast.Expr) and isinstance(fn.body[0].value, ast.Constant) and len(
            fn.body) > 1:
        first = fn.body[1].lineno  # skip the docstring
    assert fn.end_lineno is not None
    body = [i for i in range(first - 1, fn.end_lineno) if _CODE.match(lines[i])]
    if not body:
        return None
    i = rng.choice(body)
    line = lines[i]
    if kind == "change":
        for old, new in ((" == ", " != "), (" + ", " - "), ("True", "False"), ("None", "0"),
                         (" < ", " <= "), ("not ", "")):
            if old in line:
                lines[i] = line.replace(old, new, 1)
                break
        else:
            m = re.search(r"\b([A-Za-z_]\w*)\b", line.strip())
            if not m:
                return None
            lines[i] = line.replace(m.group(1), m.group(1) + "_2", 1)
    elif kind == "insert":
        indent = line[: len(line) - len(line.lstrip())]
        if line.rstrip().endswith(":"):
            indent += "    "
        elif line.rstrip().endswith(("(", "[", "{", ",", "\\")):
            return None
        lines.insert(i + 1, f"{indent}_checkpoint = {rng.randint(1, 999)}\n")
    elif kind == "delete":
        if line.rstrip().endswith((":", "(", "[", "{", ",", "\\")):
            return None
        del lines[i]
    else:  # rename a local everywhere in the function
        names = sorted({
            n.id for n in ast.walk(fn)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and len(n.id) >= 2
        })
        if not names:
            return None
        name = rng.choice(names)
        pat = re.compile(rf"\b{re.escape(name)}\b")
        for k in range(fn.lineno - 1, fn.end_lineno):
            lines[k] = pat.sub(name + "_v", lines[k])
    return "".join(lines)


def make_bases(count: int, seed: int = 4) -> list[Base]:
    rng = random.Random(seed)
    bases: list[Base] = []
    edits = ("change", "insert", "delete", "rename")
    for rel, text in _sources(rng):
        fns = _functions(text)
        if not fns:
            continue
        # A generator per file: editing one source file changes only its own cases.
        rng = random.Random(f"{seed}:{rel}")
        for fn in rng.sample(fns, min(2, len(fns))):
            edit = edits[len(bases) % len(edits)]
            after = _edit(rng, text, fn, edit)
            if after is None or after == text:
                continue
            diff = "".join(difflib.unified_diff(
                text.splitlines(keepends=True), after.splitlines(keepends=True),
                f"a/{rel}", f"b/{rel}", n=3))
            bases.append(Base(rel, text, after, edit, diff))
            if len(bases) >= count:
                return bases
    return bases


# -- perturbations ------------------------------------------------------------------

_HDR = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def _split(diff: str) -> tuple[list[str], list[_Hunk]]:
    lines = diff.splitlines()
    head = lines[:2]
    hunks: list[_Hunk] = []
    for line in lines[2:]:
        m = _HDR.match(line)
        if m:
            hunks.append(_Hunk(int(m.group(1)), int(m.group(2) or 1), int(m.group(3)),
                               int(m.group(4) or 1), []))
        else:
            hunks[-1].body.append(line)
    return head, hunks


def _join(head: list[str], hunks: list[_Hunk], numbers: str = "full") -> str:
    out = list(head)
    for h in hunks:
        if numbers == "none":
            out.append("@@ ... @@")
        elif numbers == "bare":
            out.append(f"@@ -{h.old_start} +{h.new_start} @@")
        else:
            out.append(f"@@ -{h.old_start},{h.old_len} +{h.new_start},{h.new_len} @@")
        out.extend(h.body)
    return "\n".join(out) + "\n"


def _context_indexes(h: _Hunk) -> list[int]:
    return [i for i, b in enumerate(h.body) if b.startswith(" ") and b.strip()]


def _paraphrase(rng: random.Random, line: str) -> str:
    words = list(re.finditer(r"[A-Za-z_]{3,}", line))
    if not words:
        return line + "  # note"
    m = rng.choice(words)
    word = m.group(0)
    k = rng.randrange(len(word))
    repl = word[:k] + ("x" if word[k] != "x" else "y") + word[k + 1 :]
    return line[: m.start()] + repl + line[m.end() :]


def _whitespace(rng: random.Random, line: str) -> str:
    prefix, text = line[0], line[1:]
    indent = text[: len(text) - len(text.lstrip())]
    rest = text[len(indent):]
    choice = rng.randrange(3)
    if choice == 0 and ", " in rest:
        rest = rest.replace(", ", ",", 1)
    elif choice == 1 and " = " in rest:
        rest = rest.replace(" = ", "  =  ", 1)
    else:
        rest = rest + "   "
    return prefix + indent + rest


def perturb(base: Base, kind: str, rng: random.Random) -> Case | None:
    before = base.before.encode()
    expected = base.after.encode()
    head, hunks = _split(base.diff)
    rel = base.rel

    def case(text: str, **kw: object) -> Case:
        return Case(kind, base, text, before, expected, **kw)  # type: ignore[arg-type]

    if kind == "clean":
        return case(base.diff)
    if kind == "drift":
        d = rng.choice([*range(-30, 0), *range(1, 31)])
        for h in hunks:
            h.old_start = max(1, h.old_start + d)
            h.new_start = max(1, h.new_start + d)
        return case(_join(head, hunks))
    if kind == "wrong-counts":
        for h in hunks:
            h.old_len = max(0, h.old_len + rng.choice([-2, -1, 1, 2]))
            h.new_len = max(0, h.new_len + rng.choice([-2, -1, 1, 2]))
        return case(_join(head, hunks))
    if kind == "no-line-numbers":
        return case(_join(head, hunks, numbers="none"))
    if kind == "missing-context":
        candidates = [(h, i) for h in hunks for i in _context_indexes(h)]
        if not candidates:
            return None
        h, i = rng.choice(candidates)
        del h.body[i]
        return case(_join(head, hunks))
    if kind == "reindent":
        shift = rng.choice([4, -4])
        for h in hunks:
            texts = [b[1:] for b in h.body if b[1:].strip()]
            least = min((len(t) - len(t.lstrip()) for t in texts), default=0)
            if shift < 0 and least < 4:
                shift = 4
        for h in hunks:
            body = []
            for b in h.body:
                if not b[1:].strip():
                    body.append(b)
                elif shift > 0:
                    body.append(b[0] + " " * shift + b[1:])
                else:
                    body.append(b[0] + b[1 - shift :])
            h.body = body
        return case(_join(head, hunks))
    if kind == "whitespace":
        candidates = [(h, i) for h in hunks for i in _context_indexes(h)]
        if not candidates:
            return None
        for h, i in rng.sample(candidates, min(3, len(candidates))):
            h.body[i] = _whitespace(rng, h.body[i])
        return case(_join(head, hunks))
    if kind == "paraphrase":
        candidates = [(h, i) for h in hunks for i in _context_indexes(h) if len(h.body[i]) >= 8]
        if not candidates:
            return None
        h, i = rng.choice(candidates)
        h.body[i] = _paraphrase(rng, h.body[i])
        return case(_join(head, hunks))
    if kind == "no-headers-prose":
        return case(f"The fix goes in `{rel}`:\n\n" + _join([], hunks))
    if kind == "no-headers-task":
        return case(_join([], hunks), task_files=(rel,))
    if kind == "fence":
        return case(f"Here is the change:\n\n```diff\n{base.diff}```\n\nThis fixes it.\n")
    if kind == "no-prefix":
        return case(_join([f"--- {rel}", f"+++ {rel}"], hunks), strip=0)
    if kind == "crlf-diff":
        return case(base.diff.replace("\n", "\r\n"))
    if kind == "crlf-file":
        return Case(kind, base, base.diff, base.before.replace("\n", "\r\n").encode(),
                    base.after.replace("\n", "\r\n").encode())
    if kind == "search-replace":
        blocks = []
        for h in hunks:
            old = [b[1:] for b in h.body if not b.startswith("+")]
            new = [b[1:] for b in h.body if not b.startswith("-")]
            blocks.append("\n".join([rel, "```python", "<<<<<<< SEARCH", *old, "=======",
                                     *new, ">>>>>>> REPLACE", "```"]))
        return case("\n\n".join(blocks) + "\n")
    if kind == "whole-file":
        return case(f"{rel}\n```python\n{base.after}```\n")
    if kind == "model-mix":
        d = rng.choice([*range(-10, 0), *range(1, 11)])
        for h in hunks:
            h.old_start = max(1, h.old_start + d)
            h.new_start = max(1, h.new_start + d)
            h.old_len += rng.choice([-1, 0, 1])
        text = _join([f"--- {rel}", f"+++ {rel}"], hunks)
        return case(f"I'll change `{rel}`.\n\n```diff\n{text}```\n", strip=0)
    raise ValueError(kind)


def build(count: int, seed: int = 4) -> tuple[list[Case], dict[str, int]]:
    """``count`` base edits times every kind; also how many (kind) did not apply."""
    cases: list[Case] = []
    skipped: dict[str, int] = {}
    for base in make_bases(count, seed):
        for kind in KINDS:
            got = perturb(base, kind, random.Random(f"{seed}:{base.rel}:{base.edit}:{kind}"))
            if got is None:
                skipped[kind] = skipped.get(kind, 0) + 1
            else:
                cases.append(got)
    return cases, skipped
