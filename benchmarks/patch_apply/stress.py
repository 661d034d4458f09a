"""A stress corpus: small files made of a few repeated lines, where a sloppy diff is most
likely to fit more than one place. Each case is a random edit (delete up to two lines,
insert up to two) with its correct diff, then one perturbation: no line numbers, a dropped
context line, a paraphrased context line, the hunk re-indented, or SEARCH/REPLACE form.
"""

from __future__ import annotations

import difflib
import random

from corpus import Base
from corpus import Case

VOCAB = ("a = 1", "b = 2", "", "    return a", "if a:", "pass", "x = f(a, b)", "    y = g(x)",
         "def h():")
KINDS = ("stress-no-line-numbers", "stress-missing-context", "stress-paraphrase",
         "stress-reindent", "stress-search-replace")


def _perturb(rng: random.Random, kind: str, diff: list[str], before: list[str], at: int,
             cut: int, ins: list[str]) -> str | None:
    if kind == "stress-no-line-numbers":
        return "\n".join("@@ ... @@" if x.startswith("@@") else x for x in diff) + "\n"
    if kind == "stress-missing-context":
        idx = [i for i, x in enumerate(diff) if x.startswith(" ") and i > 2]
        if not idx:
            return None
        del diff[rng.choice(idx)]
        return "\n".join(diff) + "\n"
    if kind == "stress-paraphrase":
        idx = [i for i, x in enumerate(diff) if x.startswith(" ") and len(x) > 4 and i > 2]
        if not idx:
            return None
        i = rng.choice(idx)
        diff[i] = diff[i][:-1] + "z"
        return "\n".join(diff) + "\n"
    if kind == "stress-reindent":
        return "\n".join(
            x[0] + "    " + x[1:] if x[:1] in " +-" and not x.startswith(("---", "+++"))
            and x[1:].strip() else x for x in diff) + "\n"
    old = before[max(0, at - 2) : at + cut + 2]
    new = before[max(0, at - 2) : at] + ins + before[at + cut : at + cut + 2]
    return "m.py\n<<<<<<< SEARCH\n" + "\n".join(old) + "\n=======\n" + "\n".join(new) + \
        "\n>>>>>>> REPLACE\n"


def build(per_kind: int, seed: int = 1) -> list[Case]:
    rng = random.Random(seed)
    cases: list[Case] = []
    for kind in KINDS:
        made = 0
        while made < per_kind:
            before = [rng.choice(VOCAB) for _ in range(rng.randint(5, 40))]
            at = rng.randrange(len(before))
            cut = rng.randint(0, 2)
            ins = [rng.choice(VOCAB) + " # new" for _ in range(rng.randint(0, 2))]
            after = before[:at] + ins + before[at + cut :]
            if after == before:
                continue
            old_text = "".join(x + "\n" for x in before)
            new_text = "".join(x + "\n" for x in after)
            diff = list(difflib.unified_diff(old_text.splitlines(), new_text.splitlines(),
                                             "a/m.py", "b/m.py", n=3, lineterm=""))
            correct = "\n".join(diff) + "\n"
            text = _perturb(rng, kind, diff, before, at, cut, ins)
            if text is None:
                continue
            base = Base("m.py", old_text, new_text, "random", correct)
            cases.append(Case(kind, base, text, old_text.encode(), new_text.encode()))
            made += 1
    return cases
