"""The run's input, checked before anything is touched: settings, options, the selection."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_agent._face import INI_SETTINGS
from pytest_agent.plan import LoadedTask
from pytest_agent.settings import AgentSettings
from pytest_agent.settings import SettingsError
from pytest_agent.settings import load_settings

__all__ = [
    "check_options", "early_settings", "plan_anchor", "secrets", "selected_ids",
    "settings_from_config",
]


def settings_from_config(config: pytest.Config, options: Any = None) -> AgentSettings:
    """The effective settings: ini keys, ``.agent.yml``, the environment and the options.

    ``options``: where the command-line options are read (default: the parsed options;
    before parsing, :func:`plan_anchor` passes ``config.known_args_namespace``).
    """
    ini = {name: config.getini(f"agent_{name}") for name in INI_SETTINGS}
    values = config.option if options is None else options
    cli: dict[str, Any] = {
        name: getattr(values, f"agent_{option}", None)
        for name, option in (("plan_path", "plan"), ("engine", "engine"),
                             ("replace_branch", "replace_branch"))
    }
    try:
        return load_settings(
            ini={k: v for k, v in ini.items() if v not in (None, "")},
            agent_yml=config.rootpath / ".agent.yml",
            cli=cli,
        )
    except SettingsError as exc:
        raise pytest.UsageError(f"pytest-agent: {exc}") from None


def early_settings(early_config: pytest.Config) -> AgentSettings | None:
    """The settings as known before the command line is fully parsed (when pytest loads
    the initial conftests); ``None`` when they are invalid (the session reports them)."""
    try:
        return settings_from_config(early_config, early_config.known_args_namespace)
    except pytest.UsageError:
        return None


def plan_anchor(early_config: pytest.Config, settings: AgentSettings) -> Path | None:
    """Where an agent run's outer process looks for its initial conftests: the plan path.

    That process collects only the plan files; the project's tests run in inner
    processes, which load the tests' conftests themselves. ``None`` (pytest's own
    choice: the arguments, ``testpaths`` or the invocation directory, and their
    ``test*`` subdirectories) when the plan path is missing or outside the rootdir (its
    conftests would not reach the root ``conftest.py``).
    """
    root = early_config.rootpath
    anchor = Path(settings.plan_path)
    anchor = anchor if anchor.is_absolute() else root / anchor
    if not anchor.exists() or not anchor.resolve().is_relative_to(root.resolve()):
        return None
    return anchor


def check_options(config: pytest.Config) -> tuple[list[str], bool]:
    """The ``--agent-run`` ids and whether ``--agent-from-failures`` was given; refuse
    combinations that cannot mean anything."""
    from_failures = bool(config.getoption("agent_from_failures", False))
    if config.getoption("agent_save_plan", None) and not from_failures:
        raise pytest.UsageError(
            "pytest-agent: --agent-save-plan writes the plan made by --agent-from-failures; "
            "add --agent-from-failures [tests...]"
        )
    run_ids: list[str] = list(config.getoption("agent_run") or [])
    if from_failures and (run_ids or config.getoption("agent_all", False)):
        raise pytest.UsageError(
            "pytest-agent: --agent-from-failures makes its own tasks; it cannot be "
            "combined with --agent-run or --agent-all (save the plan with "
            "--agent-save-plan PATH, then run it with --agent-plan PATH --agent-all)"
        )
    return run_ids, from_failures


def selected_ids(
    run_ids: list[str], tasks: Sequence[LoadedTask], plan_files: Sequence[Path], plans_at: Path
) -> list[str] | None:
    """The ``--agent-run`` ids, checked; ``None`` (every task not done) without any."""
    if run_ids:
        known = {t.id for t in tasks}
        unknown = [i for i in run_ids if i not in known]
        if unknown:
            where = ", ".join(str(p) for p in plan_files) or f"{plans_at}"
            raise pytest.UsageError(
                f"pytest-agent: unknown task id(s) {', '.join(unknown)} for --agent-run; "
                f"known ids: {', '.join(sorted(known)) or '(none)'} (plans: {where})"
            )
        return list(dict.fromkeys(run_ids))
    if not plan_files:
        raise pytest.UsageError(
            f"pytest-agent: no plan files found at {plans_at} "
            "(create plans/*.yaml or pass --agent-plan PATH)"
        )
    return None


def secrets(settings: AgentSettings) -> Sequence[str]:
    """The values redacted from everything the run writes: the API keys it can see, and
    the credentials in the endpoint's URL (``user:password@``, ``?api-key=...``)."""
    key = settings.api_key
    values = [key.get_secret_value()] if key is not None else []
    values.extend(v for k, v in os.environ.items()
                  if k in ("OPENAI_API_KEY", "AGENT_API_KEY") and v)
    if settings.base_url:
        from urllib.parse import urlsplit

        url = urlsplit(settings.base_url)
        values.extend(v for v in (url.password, url.query) if v)
    return values
