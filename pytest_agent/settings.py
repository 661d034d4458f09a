"""Settings of the harness: defaults, sources, precedence and validation.

Precedence, highest first (documented in the README):

1. command-line options (``--agent-engine``, ``--agent-plan``, ...);
2. ``AGENT_*`` environment variables (``AGENT_MAX_REFLEXION_RETRIES=5``);
3. ``.agent.yml`` at the repository root (keys are the field names below);
4. pytest ini (``[tool.pytest.ini_options]``: ``agent_<field> = value``);
5. the defaults below.

Every value is validated by pydantic; a bad value gives one message that names
the source and the field.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import SecretStr
from pydantic import ValidationError
from pydantic import field_validator

__all__ = [
    "ENV_PREFIX",
    "AgentSettings",
    "SettingsError",
    "load_settings",
]

ENV_PREFIX = "AGENT_"

EngineName = Literal["auto", "offline", "llm"]


class SettingsError(Exception):
    """A setting has a bad value; the message names the source and the field."""


class AgentSettings(BaseModel):
    """The effective settings of one run. Field docs are the user documentation."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    # -- the loop ----------------------------------------------------------
    max_reflexion_retries: int = Field(3, ge=0, le=100)
    """Retries after the first attempt; a task gets ``1 + max_reflexion_retries`` attempts."""
    consecutive_failure_threshold: int = Field(5, ge=1)
    """This many failed tasks in a row stop the whole run."""
    max_tool_calls_per_task: int = Field(30, ge=1)
    """Tool calls an LLM may make for one task, across its attempts."""
    test_timeout: float = Field(120.0, gt=0)
    """Seconds for one run of the accept tests; the whole process group is killed after."""
    per_test_timeout_max: float = Field(20.0, ge=0)
    """Seconds one test may run in an inner run before it is stopped as hung (it fails with
    "hung in <function> (<file>:<line>)" and the run goes on); 0 disables per-test timeouts."""
    per_test_timeout_min: float = Field(2.0, gt=0)
    """The shortest per-test timeout, however fast the tests that finished were."""
    per_test_timeout_factor: float = Field(10.0, gt=0)
    """A test's timeout: this many times the slowest test that finished (floor and cap above)."""
    test_server: Literal["auto", "fork", "subprocess"] = "auto"
    """Inner test runs before the final verify: ``auto``/``fork`` fork them from a warm test
    server per task (pytest and conftests imported once); ``subprocess`` starts a fresh
    ``python -m pytest`` for each (the fallback where ``os.fork`` is unavailable)."""
    lint_command: tuple[str, ...] = ("ruff", "check")
    """The lint command run on changed Python files (argument list; empty to disable)."""
    lint_timeout: float = Field(60.0, gt=0)
    """Seconds for one run of the lint command."""
    git_timeout: float = Field(60.0, gt=0)
    """Seconds for one git command."""

    # -- where things live ------------------------------------------------
    plan_path: str = "plans"
    """A plan file, or a directory whose ``*.yaml``/``*.yml`` files are plans (repo-relative)."""
    memory_dir: str = "memory"
    """Where task memory (``scratch/<id>.md``) and run records go (repo-relative)."""
    replace_branch: bool = False
    """Replace an existing ``agent/<id>`` branch instead of refusing to run the task."""

    # -- engine selection -------------------------------------------------
    engine: EngineName = "auto"
    """``auto`` uses the LLM when a key or base_url is set, the offline engine otherwise."""

    # -- LLM --------------------------------------------------------------
    model: str = "gpt-4o-mini"
    base_url: str | None = None
    """An OpenAI-compatible endpoint (vLLM, Ollama, llama.cpp, LM Studio, hosted)."""
    api_key: SecretStr | None = None
    """From ``AGENT_API_KEY`` or ``OPENAI_API_KEY``; never written anywhere."""
    temperature: float = Field(0.0, ge=0, le=2)
    request_timeout: float = Field(60.0, gt=0)
    request_retries: int = Field(2, ge=0, le=10)
    tool_mode: Literal["auto", "native", "text"] = "auto"
    """``native`` tool calling, ``text`` (diff read from the reply), or ``auto``."""
    max_tokens_per_task: int | None = Field(None, ge=1)
    max_cost_per_task: float | None = Field(None, ge=0)
    """US dollars per task; a request that would exceed it is not sent."""
    daily_cost_cap: float | None = Field(None, ge=0)
    """US dollars per UTC day across runs, kept in a locked ledger under ``memory_dir``."""
    prices: dict[str, tuple[float, float] | tuple[float, float, float]] = Field(
        default_factory=dict)
    """Extra prices: model -> (USD per 1M prompt tokens, per 1M completion tokens[, per 1M
    cached prompt tokens])."""
    memory_limit_chars: int = Field(8000, ge=500)
    """Scratch memory past this size has its older entries summarized."""

    # -- offline engine ---------------------------------------------------
    offline_max_candidates: int = Field(2000, ge=1)
    """Candidate edits the offline engine may validate per attempt. Validation on the warm
    server takes 500-1000 candidates per 60 s on real projects (2 loaded cores), so the
    time budget, not this cap, ends most searches; 400 cut them after 20-50 s."""
    offline_time_budget: float = Field(60.0, gt=0)
    """Seconds the offline engine may search per attempt."""
    offline_workers: int = Field(0, ge=0)
    """Validation worker processes; 0 means one per core."""
    candidate_timeout: float = Field(10.0, gt=0)
    """Seconds one candidate's tests may run before the worker is killed."""

    # -- localization -----------------------------------------------------
    localize_formula: Literal["ochiai", "dstar"] = "ochiai"
    localize_extra_tests_seconds: float = Field(0.0, ge=0)
    """Seconds localization may spend running tests of *other* test files that name the
    functions tied at the top of its spectrum (their passing tests are added to it; the
    run is cut at this budget, keeping the tests that finished); 0 turns it off."""
    context_token_budget: int = Field(6000, ge=500)
    """Estimated tokens (chars / 4) of the context pack given to a proposer."""
    localize_mutation_seconds: float = Field(0.0, ge=0)
    """Seconds for the mutation-based signal (docs/localize.md): the first functions of
    the ranking are mutated and re-ordered by what their mutants do to the tests; 0 turns
    it off."""
    localize_mutation_weight: float = Field(1.0, ge=0)
    """How much a function's mutation score (0..1) adds to its localization score."""
    localize_arc_weight: float = Field(0.5, ge=0)
    """The share of what a line's best branch (arc) scores above the line that the line
    gets (localize/_arcs.py); above 0 the coverage run records arcs (coverage.py's
    ``branch=True``, about 5% more CPU). 0: no arcs recorded or read."""

    @field_validator("lint_command", mode="before")
    @classmethod
    def _split_command(cls, value: Any) -> Any:
        if isinstance(value, str):
            import shlex

            return tuple(shlex.split(value))
        return value

    @field_validator("api_key", mode="before")
    @classmethod
    def _blank_key_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def resolved_engine(self) -> Literal["offline", "llm"]:
        """The engine ``auto`` resolves to."""
        if self.engine != "auto":
            return self.engine
        return "llm" if (self.api_key is not None or self.base_url) else "offline"


_FIELDS = tuple(AgentSettings.model_fields)


def _coerce_env(name: str, raw: str) -> Any:
    # Environment values are strings; pydantic coerces scalars, but a mapping needs JSON.
    if name == "prices":
        import json

        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SettingsError(f"environment (AGENT_PRICES): not valid JSON: {exc}") from None
    return raw


def _describe(source: str, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"])
        lines.append(f"{source}: setting {loc!r}: {e['msg']} (got {e.get('input')!r})")
    return "\n".join(lines)


def _validate_layer(source: str, values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(_FIELDS))
    if unknown:
        raise SettingsError(
            f"{source}: unknown setting(s) {', '.join(map(repr, unknown))}; "
            f"known settings: {', '.join(_FIELDS)}"
        )
    try:
        validated = AgentSettings.model_validate(dict(values))
    except ValidationError as exc:
        raise SettingsError(_describe(source, exc)) from None
    return {k: getattr(validated, k) for k in values}


def read_agent_yml(path: Path) -> dict[str, Any]:
    """Read ``.agent.yml``; a missing file is an empty layer."""
    if not path.is_file():
        return {}
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        raise SettingsError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    return {str(k): v for k, v in data.items()}


def read_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """The ``AGENT_*`` variables (and ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL`` as fallbacks)."""
    values: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name in _FIELDS:
            values[name] = _coerce_env(name, raw)
    if "api_key" not in values and environ.get("OPENAI_API_KEY"):
        values["api_key"] = environ["OPENAI_API_KEY"]
    if "base_url" not in values and environ.get("OPENAI_BASE_URL"):
        values["base_url"] = environ["OPENAI_BASE_URL"]
    return values


def load_settings(
    *,
    ini: Mapping[str, Any] | None = None,
    agent_yml: Path | None = None,
    environ: Mapping[str, str] | None = None,
    cli: Mapping[str, Any] | None = None,
) -> AgentSettings:
    """Merge the layers in precedence order and validate each one, naming its source."""
    merged: dict[str, Any] = {}
    layers: list[tuple[str, Mapping[str, Any]]] = [
        ("pytest ini (agent_* keys)", ini or {}),
        (str(agent_yml or ".agent.yml"), read_agent_yml(agent_yml) if agent_yml else {}),
        ("environment (AGENT_*)", read_env(os.environ if environ is None else environ)),
        ("command line", {k: v for k, v in (cli or {}).items() if v is not None}),
    ]
    for source, values in layers:
        merged.update(_validate_layer(source, values))
    return AgentSettings.model_validate(merged)
