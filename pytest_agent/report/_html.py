"""The HTML report: one self-contained page, readable offline, without scripts.

Everything is in the page: the CSS is an inline ``<style>``, there are no images,
fonts or scripts, and a Content-Security-Policy ``<meta>`` forbids loading
anything else, so a page that tried would say so in the browser's console (the
headless Chromium test checks there is nothing there). Collapsing attempts uses
``<details>``, which needs no JavaScript. Every text goes through
:func:`html.escape`: proposals, test output and model notes are untrusted.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence

from pytest_agent.report._markdown import format_cost
from pytest_agent.report._markdown import format_duration
from pytest_agent.report._records import AttemptView
from pytest_agent.report._records import TaskRecord

__all__ = ["diff_html", "render_html"]

_CSS = """
:root { color-scheme: light; --ok: #1a7f37; --bad: #cf222e; --skip: #9a6700; --muted: #57606a; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1100px; padding: 24px; color: #1f2328; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 0; display: flex; gap: 10px; align-items: center; }
h3 { font-size: 14px; margin: 14px 0 6px; text-transform: uppercase; letter-spacing: .04em;
     color: var(--muted); }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
                   font-size: 13px; }
.muted { color: var(--muted); }
table.summary { border-collapse: collapse; width: 100%; margin: 16px 0 28px; }
table.summary th, table.summary td { border-bottom: 1px solid #d0d7de; padding: 6px 8px;
                                     text-align: left; }
table.summary td.num, table.summary th.num { text-align: right; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 12px; font-size: 13px;
         font-weight: 600; color: #fff; background: var(--muted); }
.badge.done, .badge.passed { background: var(--ok); }
.badge.failed, .badge.refused { background: var(--bad); }
.badge.skipped { background: var(--skip); }
section.task { border: 1px solid #d0d7de; border-left: 6px solid var(--muted);
               border-radius: 6px; padding: 14px 18px; margin: 0 0 22px; }
section.task.done { border-left-color: var(--ok); }
section.task.failed { border-left-color: var(--bad); }
section.task.skipped { border-left-color: var(--skip); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 10px 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
p.error { background: #ffebe9; border: 1px solid #ff818266; padding: 8px 10px; border-radius: 6px;
          white-space: pre-wrap; }
details.attempt { border: 1px solid #d0d7de; border-radius: 6px; margin: 10px 0;
                  padding: 0 12px; }
details.attempt > summary { cursor: pointer; padding: 8px 0; font-weight: 600; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 0;
      overflow-x: auto; margin: 0 0 8px; }
pre.text { padding: 8px 10px; white-space: pre-wrap; }
pre.diff span { display: block; padding: 0 10px; min-height: 1.35em; white-space: pre; }
pre.diff .add { background: #dafbe1; color: #116329; }
pre.diff .del { background: #ffebe9; color: #a40e26; }
pre.diff .hunk { background: #ddf4ff; color: #0550ae; }
pre.diff .file { color: #1f2328; font-weight: 700; }
pre.diff .meta { color: var(--muted); }
ul.tests, ul.lint { margin: 4px 0 8px; padding-left: 20px; }
.outcome-passed { color: var(--ok); }
.outcome-failed, .outcome-error, .outcome-missing { color: var(--bad); }
footer { color: var(--muted); font-size: 13px; margin-top: 30px; }
"""

# Nothing may be loaded, nothing may run: the page is all there is.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_META = ("diff --git", "index ", "new file mode", "deleted file mode", "similarity index",
         "rename from", "rename to", "<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE")


def diff_html(diff: str) -> str:
    """A ``<pre class="diff">`` with one span per line, classed by its role in the diff.

    Hunk bodies are counted from their ``@@`` headers, so that inside a hunk a
    removed line reading ``-- x`` is a removal, not a file header. Text that is not
    a unified diff (SEARCH/REPLACE blocks, a whole file) is shown the same way,
    with its markers muted.
    """
    spans = []
    old_left = new_left = 0
    for line in diff.rstrip("\n").splitlines():
        if old_left > 0 or new_left > 0:
            kind = {"+": "add", "-": "del"}.get(line[:1], "ctx")
            if kind != "add" and not line.startswith("\\"):
                old_left -= 1
            if kind != "del" and not line.startswith("\\"):
                new_left -= 1
        elif (match := _HUNK.match(line)) is not None:
            kind = "hunk"
            old_left = int(match.group(1) or "1")
            new_left = int(match.group(2) or "1")
        elif line.startswith(("--- ", "+++ ")):
            kind = "file"
        elif line.startswith(_META):
            kind = "meta"
        elif line.startswith("@@"):
            kind = "hunk"  # a hunk header without counts (some models write ``@@ ... @@``)
        else:
            kind = {"+": "add", "-": "del"}.get(line[:1], "ctx")
        spans.append(f'<span class="{kind}">{_e(line)}</span>')
    return '<pre class="diff">' + "".join(spans) + "</pre>"


def _text_block(text: str) -> str:
    return f'<pre class="text">{_e(text.rstrip())}</pre>'


def _attempt_html(attempt: AttemptView, *, open_: bool) -> str:
    parts = [f'<details class="attempt"{" open" if open_ else ""}>'
             f"<summary>{_attempt_head(attempt)}</summary>"]
    parts += _proposal_html(attempt)
    parts += _verify_html(attempt)
    parts += _lint_html(attempt)
    if attempt.reflexion.strip():
        parts.append("<h3>Reflexion</h3>")
        parts.append(_text_block(attempt.reflexion))
    parts.append("</details>")
    return "".join(parts)


def _attempt_head(attempt: AttemptView) -> str:
    if attempt.applied is None:
        verdict, label = "failed", "stopped" if attempt.stop_reason else "no proposal"
    elif not attempt.applied:
        verdict, label = "refused", "refused"
    elif attempt.passed:
        verdict, label = "passed", "passed"
    else:
        verdict, label = "failed", "failed"
    # The badge is one word; the verdict's own sentence follows, then the facts, muted.
    said = attempt.summary if attempt.applied else attempt.refused_rule
    facts = [format_duration(attempt.duration), attempt.engine,
             format_cost(attempt.tokens, attempt.cost)]
    return (f'Attempt {attempt.number} <span class="badge {verdict}">{label}</span> '
            f'{_e(said) + " " if said and not attempt.passed else ""}'
            f'<span class="muted">{_e(" · ".join(f for f in facts if f and f != "-"))}</span>')


def _proposal_html(attempt: AttemptView) -> list[str]:
    parts = ["<h3>Proposal</h3>"]
    if attempt.notes.strip():
        parts.append(_text_block(attempt.notes))
    if attempt.diff.strip():
        parts.append(diff_html(attempt.diff))
    elif attempt.stop_reason:
        parts.append(_text_block(attempt.stop_reason))
    else:
        parts.append('<p class="muted">No proposal.</p>')
    if attempt.applied is False:
        parts.append(f"<h3>Refused: {_e(attempt.refused_rule or 'rejected')}</h3>")
        parts.append(_text_block(attempt.refused_reason))
    elif attempt.applied and attempt.changed_files:
        files = ", ".join(f"<code>{_e(f)}</code>" for f in attempt.changed_files)
        parts.append(f'<p class="muted">Changed: {files}</p>')
    return parts


def _verify_html(attempt: AttemptView) -> list[str]:
    if attempt.passed is None:
        return []
    parts = ["<h3>Verify</h3>"]
    if attempt.summary:
        parts.append(f"<p>{_e(attempt.summary)}</p>")
    if attempt.tests:
        items = "".join(
            f'<li><code>{_e(nodeid)}</code>: <span class="outcome-{_e(outcome)}">'
            f"{_e(outcome)}</span></li>"
            for nodeid, outcome in attempt.tests
        )
        parts.append(f'<ul class="tests">{items}</ul>')
    if attempt.timed_out:
        parts.append('<p class="error">The accept tests timed out.</p>')
    if attempt.output.strip() and not attempt.passed:
        parts.append(_text_block(attempt.output))
    return parts


def _lint_html(attempt: AttemptView) -> list[str]:
    if not (attempt.lint or attempt.lint_output.strip()):
        return []
    parts = ["<h3>Lint</h3>"]
    if attempt.lint:
        items = "".join(f"<li><code>{_e(finding)}</code></li>" for finding in attempt.lint)
        parts.append(f'<ul class="lint">{items}</ul>')
    if attempt.lint_output.strip():
        parts.append(_text_block(attempt.lint_output))
    return parts


def _task_html(record: TaskRecord) -> str:
    meta = [
        ("plan", f"<code>{_e(record.plan)}</code>" if record.plan else ""),
        ("branch", f"<code>{_e(record.branch)}</code>" if record.branch else "-"),
        ("commit", f"<code>{_e(record.commit)}</code>" if record.commit else "-"),
        ("attempts", _e(record.attempts)),
        ("engine", _e(record.engine) if record.engine else "-"),
        ("duration", format_duration(record.duration)),
        ("tokens / cost", _e(format_cost(record.tokens, record.cost))),
    ]
    rows = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in meta if value)
    parts = [
        f'<section class="task {_e(record.status)}" id="task-{_e(record.task_id)}">',
        f'<h2>{_e(record.task_id)} <span class="badge {_e(record.status)}">'
        f"{_e(record.status)}</span></h2>",
    ]
    if record.description:
        parts.append(f"<p>{_e(record.description)}</p>")
    parts.append(f'<dl class="meta">{rows}</dl>')
    if record.error:
        parts.append(f'<p class="error">{_e(record.error)}</p>')
    last = len(record.history)
    for attempt in record.history:
        # The last attempt is what a reader wants first: open it, fold the others.
        parts.append(_attempt_html(attempt, open_=attempt.number == last))
    parts.append("</section>")
    return "\n".join(parts)


def _summary_table(records: Sequence[TaskRecord]) -> str:
    head = ('<tr><th>task</th><th>status</th><th class="num">attempts</th><th>branch</th>'
            '<th>commit</th><th class="num">duration</th><th class="num">tokens / cost</th></tr>')
    rows = []
    for r in records:
        rows.append(
            f'<tr><td><a href="#task-{_e(r.task_id)}">{_e(r.task_id)}</a></td>'
            f'<td><span class="badge {_e(r.status)}">{_e(r.status)}</span></td>'
            f'<td class="num">{r.attempts}</td><td><code>{_e(r.branch or "-")}</code></td>'
            f'<td><code>{_e(r.commit[:12] or "-")}</code></td>'
            f'<td class="num">{format_duration(r.duration)}</td>'
            f'<td class="num">{_e(format_cost(r.tokens, r.cost))}</td></tr>'
        )
    return f'<table class="summary"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def render_html(
    records: Sequence[TaskRecord],
    *,
    title: str = "pytest-agent report",
    generated: dt.datetime | None = None,
) -> str:
    """The whole page. ``records`` must already be redacted."""
    when = (generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M:%S UTC")
    counts: dict[str, int] = {}
    for record in records:
        counts[record.status] = counts.get(record.status, 0) + 1
    tally = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    body = [
        f"<header><h1>{_e(title)}</h1>",
        f'<p class="muted">{len(records)} task(s){": " + _e(tally) if tally else ""}'
        f" · generated {_e(when)}</p></header>",
    ]
    if records:
        body.append(_summary_table(records))
        body.extend(_task_html(r) for r in records)
    else:
        body.append("<p>No task ran.</p>")
    body.append('<footer>Written by pytest-agent (<code>--agent-report</code>).</footer>')
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
