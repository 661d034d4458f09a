from __future__ import annotations

from pathlib import Path

import pytest

from pytest_agent.settings import AgentSettings
from pytest_agent.settings import SettingsError
from pytest_agent.settings import load_settings


def test_defaults_are_the_seeds() -> None:
    s = load_settings(environ={})
    assert s.max_reflexion_retries == 3
    assert s.consecutive_failure_threshold == 5
    assert s.max_tool_calls_per_task == 30
    assert s.lint_command == ("ruff", "check")
    assert s.resolved_engine == "offline"


def test_precedence_cli_over_env_over_yml_over_ini(tmp_path: Path) -> None:
    yml = tmp_path / ".agent.yml"
    yml.write_text("max_reflexion_retries: 2\ntest_timeout: 9\nmodel: from-yml\n")
    s = load_settings(
        ini={"max_reflexion_retries": "1", "test_timeout": "5", "model": "from-ini",
             "consecutive_failure_threshold": "7"},
        agent_yml=yml,
        environ={"AGENT_TEST_TIMEOUT": "11", "AGENT_MODEL": "from-env"},
        cli={"model": "from-cli", "engine": None},
    )
    assert s.consecutive_failure_threshold == 7  # ini only
    assert s.max_reflexion_retries == 2  # yml over ini
    assert s.test_timeout == 11  # env over yml
    assert s.model == "from-cli"  # cli over env


def test_error_names_source_and_field(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"environment \(AGENT_\*\): setting 'test_timeout'"):
        load_settings(environ={"AGENT_TEST_TIMEOUT": "-1"})
    yml = tmp_path / ".agent.yml"
    yml.write_text("max_reflexion_retries: 1\nretries: 3\n")
    with pytest.raises(SettingsError, match=r"\.agent\.yml: unknown setting\(s\) 'retries'"):
        load_settings(agent_yml=yml, environ={})


def test_api_key_from_openai_env_is_secret() -> None:
    s = load_settings(environ={"OPENAI_API_KEY": "sk-test-1234567890abcdef"})
    assert s.resolved_engine == "llm"
    assert "sk-test" not in repr(s)
    assert "sk-test" not in str(s.model_dump())


def test_lint_command_string_is_split() -> None:
    s = AgentSettings(lint_command="ruff check --select E")  # type: ignore[arg-type]
    assert s.lint_command == ("ruff", "check", "--select", "E")
