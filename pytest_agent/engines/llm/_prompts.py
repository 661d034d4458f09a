"""What the model is told, and how a diff is read from a plain-text reply."""

from __future__ import annotations

import json
import re
from typing import Final

from pytest_agent._describe import failure_tails
from pytest_agent._types import AttemptRecord
from pytest_agent._types import Context
from pytest_agent._types import Task
from pytest_agent._types import Verdict

__all__ = [
    "CUT_NUDGE",
    "NO_DIFF_NUDGE",
    "REASONING_NOTE",
    "REFLECT_SYSTEM",
    "SUMMARIZE_SYSTEM",
    "SYSTEM_PROMPTED",
    "SYSTEM_TEXT",
    "SYSTEM_TOOLS",
    "extract_diff",
    "first_message",
    "reflect_message",
    "refusal_message",
]

_DIFF_RULES = """\
Write the change as a unified diff against the repository's current files, with
repository-relative paths:

--- a/path/to/file.py
+++ b/path/to/file.py
@@ -12,7 +12,8 @@
 context line
-old line
+new line

Copy context lines exactly from the file. A new file uses `--- /dev/null`.
Do not edit the accept tests unless the task says so. Keep the change minimal."""

SYSTEM_TOOLS: Final = f"""\
You are a careful software engineer fixing a Python repository so that its accept
tests pass. Use the tools to read code (read_file, list_files, grep), to run
tests (run_tests) and to lint (static_analyze). Tool calls are limited: read
what you need, then call submit_diff exactly once with your change.

{_DIFF_RULES}"""

SYSTEM_TEXT: Final = f"""\
You are a careful software engineer fixing a Python repository so that its accept
tests pass. You cannot run tools: everything you know is in the message below.
Think briefly, then answer with your change in ONE fenced block:

```diff
--- a/path/to/file.py
+++ b/path/to/file.py
@@ ... @@
```

{_DIFF_RULES}"""

def _tool_lines() -> str:
    from pytest_agent.engines.llm._tools import TOOL_SPECS

    return "\n".join(json.dumps(spec["function"], sort_keys=True) for spec in TOOL_SPECS)


# For servers that refuse the ``tools`` parameter: the tools in the prompt, in the
# Hermes format most open models were trained on. Built once: byte-identical in
# every request of a task, so prompt caches apply.
SYSTEM_PROMPTED: Final = f"""\
You are a careful software engineer fixing a Python repository so that its accept
tests pass. You have tools to read code, run tests and lint. Tool calls are
limited: read what you need, then submit your change once.

These are the tools, one JSON signature per line:
<tools>
{_tool_lines()}
</tools>

To call tools, write each call as a JSON object with "name" and "arguments" in
<tool_call></tool_call> tags, then stop and wait for the results:
<tool_call>
{{"name": "read_file", "arguments": {{"path": "src/module.py"}}}}
</tool_call>
You may call several tools in one reply. The results come back in the next message
in <tool_response></tool_response> tags. Submit with a submit_diff call, or by
answering with one fenced ```diff block.

{_DIFF_RULES}"""

CUT_NUDGE: Final = (
    "Your previous reply was cut off at the completion-token limit ({limit} tokens) and "
    "was not used. Answer again, shorter: no explanation, only the tool call or the diff "
    "(a smaller diff if it is long)."
)

NO_DIFF_NUDGE: Final = (
    "Your reply contained no diff. Reply with the change now: {how}. "
    "If you need more information, {more}."
)

REFLECT_SYSTEM: Final = """\
You review a failed attempt to change a Python repository. Write a short critique
(at most 120 words) in three parts:
What failed: the observable failure, precisely.
Why: the most likely cause in the code or in the diff.
Next: one concrete thing the next attempt should do differently.
No diff, no code blocks longer than three lines."""

SUMMARIZE_SYSTEM: Final = """\
Summarize these notes of earlier attempts at a coding task in at most 12 bullet
points. Keep file names, function names, test names, error messages and what was
already tried and failed. Drop everything else."""

_MEMORY_LIMIT: Final = 6000
_FAILURE_LIMIT: Final = 4000
_FILES_LIMIT: Final = 16000


def first_message(task: Task, context: Context, *, tools: bool) -> str:
    """The task, the context pack and the memory of earlier attempts."""
    parts = [f"# Task {task.id}\n\n{task.description.strip()}"]
    parts.append("Accept tests (must pass):\n" + "\n".join(f"- {t}" for t in task.accept_tests))
    if task.files:
        parts.append("Files the task concerns:\n" + "\n".join(f"- {f}" for f in task.files))
    if not task.allow_test_edits:
        parts.append("You may not edit: " + ", ".join(task.accept_test_files))
    if context.pack.strip():
        parts.append("# Context (localization, failing output, ranked code)\n\n"
                     + context.pack.strip())
    elif context.baseline is not None and context.baseline.failures:
        shown = "\n\n".join(
            f"--- {nodeid}\n{text.strip()[-1500:]}"
            for nodeid, text in context.baseline.failures.items()
        )
        parts.append("# Failing accept tests before any change\n\n" + shown[-_FAILURE_LIMIT:])
    memory = _without_context_entries(context.memory).strip() or _history_notes(context.history)
    if memory:
        parts.append(
            "# Memory of earlier attempts (do not repeat what failed)\n\n"
            + memory[-_MEMORY_LIMIT:]
        )
    parts.append(f"This is attempt {context.attempt}.")
    if not tools:
        files = _file_contents(context, task.files)
        if files:
            parts.append("# Files\n\n" + files)
    if tools:
        parts.append("Start by reading the code you need, then call submit_diff.")
    else:
        parts.append("Answer with one ```diff fenced block.")
    return "\n\n".join(parts)


def _file_contents(context: Context, files: tuple[str, ...]) -> str:
    """In plain-text mode the model cannot read files: give it the task's files."""
    root = context.workspace.root.resolve()
    shown: list[str] = []
    size = 0
    for rel in files:
        path = (root / rel).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if size + len(text) > _FILES_LIMIT:
            shown.append(f"--- {rel}: not shown ({len(text)} characters; over the limit)")
            continue
        size += len(text)
        numbered = "\n".join(f"{n:>4}  {line}" for n, line in enumerate(text.splitlines(), 1))
        shown.append(f"--- {rel} (line numbers are not part of the file)\n{numbered}")
    return "\n\n".join(shown)


_ENTRY: Final = re.compile(r"^(?=### )", re.MULTILINE)
_CONTEXT_ENTRY: Final = re.compile(r"^### Attempt \d+ · Context\b")


#: The engine's own notes of a reply's reasoning (``_react``): kept for the user, not
#: sent back to the model.
REASONING_NOTE: Final = "(reasoning, shortened) "
_REASONING_LINE: Final = re.compile(r"^" + re.escape(REASONING_NOTE) + r".*\n?", re.MULTILINE)


def _without_context_entries(memory: str) -> str:
    """The memory without its copies of the context pack (the message has the pack) and
    without earlier replies' reasoning."""
    kept = "".join(b for b in _ENTRY.split(memory) if not _CONTEXT_ENTRY.match(b))
    return _REASONING_LINE.sub("", kept)


def _history_notes(history: tuple[AttemptRecord, ...]) -> str:
    notes = []
    for record in history:
        if record.critique is not None and record.critique.text.strip():
            notes.append(f"Attempt {record.number}: {record.critique.text.strip()}")
    return "\n\n".join(notes)


def refusal_message(reason: str, *, remaining: int) -> str:
    return (
        f"The diff was refused and not applied: {reason.strip()[:2000]}\n"
        "Re-read the file (the current text, not your memory of it) and submit a corrected "
        f"diff. {remaining} more submission(s) will be checked in this attempt."
    )


def reflect_message(task: Task, attempt: AttemptRecord, verdict: Verdict | None) -> str:
    parts = [f"Task {task.id}: {task.description.strip()}",
             "Accept tests: " + ", ".join(task.accept_tests)]
    proposal = attempt.proposal
    if proposal is not None and proposal.diff.strip():
        parts.append("The attempt's diff:\n```diff\n" + proposal.diff.strip()[:4000] + "\n```")
    elif proposal is not None:
        parts.append("The attempt produced no diff. " + proposal.notes.strip()[:1000])
    if attempt.applied is not None and not attempt.applied.ok:
        parts.append(f"The diff was refused ({attempt.applied.rule}): "
                     f"{attempt.applied.reason.strip()[:1500]}")
    if verdict is not None:
        outcome = verdict.summary or ("passed" if verdict.passed else "failed")
        parts.append(f"Verification: {outcome}")
        if verdict.tests is not None:
            parts.extend(failure_tails(verdict.tests, count=3, lines=40))
        if verdict.lint:
            parts.append("Lint findings:\n" + "\n".join(str(f) for f in verdict.lint[:10]))
    return "\n\n".join(parts)


_FENCE = re.compile(r"^(```+|~~~+)[ \t]*([\w+-]*)[^\n]*\n(.*?)^\1[ \t]*$", re.DOTALL | re.MULTILINE)
_DIFF_START = re.compile(r"^(--- |diff --git |\+\+\+ )", re.MULTILINE)


def extract_diff(text: str) -> str:
    """The diff in a plain-text reply: the last fenced block that looks like a diff,
    else the reply from its first ``--- `` line on; empty when there is none."""
    blocks = [(str(m.group(2)).lower(), str(m.group(3))) for m in _FENCE.finditer(text)]
    for lang, body in reversed(blocks):
        if lang in ("diff", "patch", "udiff") or _DIFF_START.search(body):
            return body if body.endswith("\n") else body + "\n"
    match = _DIFF_START.search(text)
    if match and "\n@@" in text[match.start():]:
        return text[match.start():].rstrip() + "\n"
    return ""
