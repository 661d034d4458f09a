"""Reports people read: junit properties, the GitHub job summary, and an HTML page.

* ``--junitxml``: each task item's ``user_properties`` (task id, status, attempts,
  branch, commit, tokens, cost, engine) become ``<property>`` elements (set by
  :class:`~pytest_agent.item.TaskItem`).
* ``$GITHUB_STEP_SUMMARY``: a Markdown table of the tasks is appended to it.
* ``--agent-report PATH``: one self-contained HTML page with every attempt.

See ``docs/reports.md``. Works under pytest-xdist: a task's record travels to the
controller on its report, and the controller writes the files once.
"""

from __future__ import annotations

from pytest_agent.report._html import diff_html
from pytest_agent.report._html import render_html
from pytest_agent.report._markdown import render_markdown
from pytest_agent.report._plugin import STEP_SUMMARY_ENV
from pytest_agent.report._plugin import ReportPlugin
from pytest_agent.report._records import REPORT_ATTR
from pytest_agent.report._records import AttemptView
from pytest_agent.report._records import TaskRecord
from pytest_agent.report._records import record_from_report
from pytest_agent.report._records import record_from_result
from pytest_agent.report._records import task_result_key

__all__ = [
    "REPORT_ATTR",
    "STEP_SUMMARY_ENV",
    "AttemptView",
    "ReportPlugin",
    "TaskRecord",
    "diff_html",
    "record_from_report",
    "record_from_result",
    "render_html",
    "render_markdown",
    "task_result_key",
]
