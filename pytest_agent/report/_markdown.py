"""The Markdown table of tasks for GitHub's job summary (``$GITHUB_STEP_SUMMARY``)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from pytest_agent.report._records import TaskRecord

__all__ = ["append_step_summary", "format_cost", "format_duration", "render_markdown"]

_ICONS = {"done": "✅", "failed": "❌", "skipped": "⏭️"}


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def format_cost(tokens: int, cost: float | None) -> str:
    if not tokens:
        return "-"
    money = f"${cost:.4f}" if cost is not None else "$?"
    return f"{tokens} tok / {money}"


def _flat(text: str) -> str:
    # A pipe ends a cell and a newline ends the table, whatever else the text holds.
    return " ".join(text.replace("\\", "\\\\").replace("|", "\\|").split())


def _cell(text: str) -> str:
    # GitHub renders some inline HTML: an error message quoting a tag must stay text.
    return html.escape(_flat(text), quote=False)


def _code(text: str) -> str:
    if not text:
        return "-"
    return f"`{_flat(text)}`" if "`" not in text else _cell(text)


def render_markdown(records: Sequence[TaskRecord], *, title: str = "pytest-agent tasks") -> str:
    """A heading, a one-line count, and a table: one row per task, in run order."""
    counts: dict[str, int] = {}
    for record in records:
        counts[record.status] = counts.get(record.status, 0) + 1
    tally = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no tasks ran"
    lines = [
        f"### {title}",
        "",
        tally,
        "",
        "| task | status | attempts | branch | commit | duration | tokens / cost |",
        "| --- | --- | ---: | --- | --- | ---: | ---: |",
    ]
    for r in records:
        status = f"{_ICONS.get(r.status, '')} {r.status}".strip()
        lines.append(
            f"| {_cell(r.task_id)} | {status} | {r.attempts} | {_code(r.branch)} "
            f"| {_code(r.commit[:12])} | {format_duration(r.duration)} "
            f"| {format_cost(r.tokens, r.cost)} |"
        )
    failed = [r for r in records if r.status != "done" and r.error]
    if failed:
        lines += ["", "<details><summary>Why tasks did not get done</summary>", ""]
        lines += [f"- **{_cell(r.task_id)}**: {_cell(r.error[:300])}" for r in failed]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def append_step_summary(path: Path, text: str) -> None:
    """Append ``text`` to the summary file: other steps of the job wrote there first."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n" + text)
