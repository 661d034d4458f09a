"""The LLM proposer (issue #6): a ReAct loop over tools, on any OpenAI-compatible server.

The harness's default hooks call :func:`propose` and :func:`reflect` when the
engine is ``llm``; :func:`check_config` at configure time; :func:`summarize` when
task memory is compacted. Budgets (tool calls, tokens, cost per task, a daily
cost cap across runs) are checked before every request. See ``docs/llm.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from pytest_agent._types import AttemptRecord
from pytest_agent._types import Context
from pytest_agent._types import Critique
from pytest_agent._types import Proposal
from pytest_agent._types import Task
from pytest_agent._types import Usage
from pytest_agent._types import Verdict
from pytest_agent._types import Workspace
from pytest_agent.engines.llm._budget import DEFAULT_PRICES
from pytest_agent.engines.llm._budget import BudgetStop
from pytest_agent.engines.llm._budget import DailyLedger
from pytest_agent.engines.llm._budget import TaskBudget
from pytest_agent.engines.llm._budget import lookup_price
from pytest_agent.engines.llm._budget import spent_in_history
from pytest_agent.engines.llm._client import ChatClient
from pytest_agent.engines.llm._client import LLMError
from pytest_agent.engines.llm._client import ToolsRejected
from pytest_agent.engines.llm._prompts import REFLECT_SYSTEM
from pytest_agent.engines.llm._prompts import SUMMARIZE_SYSTEM
from pytest_agent.engines.llm._prompts import reflect_message
from pytest_agent.engines.llm._react import ENGINE
from pytest_agent.engines.llm._react import ReactLoop
from pytest_agent.memory import redact
from pytest_agent.settings import AgentSettings

__all__ = [
    "DEFAULT_PRICES",
    "LEDGER_NAME",
    "check_config",
    "ledger_path",
    "propose",
    "reflect",
    "summarize",
]

#: The daily cost ledger's file name, under ``<repo>/<memory_dir>/``.
LEDGER_NAME: Final = "ledger.json"


def check_config(settings: AgentSettings) -> str | None:
    """An error message when the LLM engine cannot run with ``settings``, else ``None``.

    Called once at configure time, before any task starts. A ``base_url`` without a
    key is fine (local servers take any key).
    """
    if settings.resolved_engine != "llm":
        return None
    if settings.api_key is None and not settings.base_url:
        return (
            "--agent-engine llm needs an API key: set AGENT_API_KEY (or OPENAI_API_KEY) for a "
            "hosted model, or AGENT_BASE_URL (e.g. http://127.0.0.1:8000/v1) for a local "
            "OpenAI-compatible server"
        )
    if settings.base_url:
        parts = urlsplit(settings.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return (
                "base_url must be an http(s) URL such as http://127.0.0.1:8000/v1 "
                f"(got a value with scheme {parts.scheme!r})"
            )
    capped = [name for name, value in (("max_cost_per_task", settings.max_cost_per_task),
                                       ("daily_cost_cap", settings.daily_cost_cap))
              if value is not None]
    if capped and lookup_price(settings.model, settings.prices) is None:
        return (
            f"{' and '.join(capped)} cannot be enforced: the price of model "
            f"{settings.model!r} is unknown. Add it to the 'prices' setting "
            f'(e.g. AGENT_PRICES=\'{{"{settings.model}": [0.15, 0.60]}}\', USD per 1M prompt '
            "and completion tokens; [0, 0] for a free local model)"
        )
    try:
        import openai  # noqa: F401
    except ImportError:
        return "the llm engine needs the 'openai' package: pip install openai"
    return None


def ledger_path(repo_root: Path, settings: AgentSettings) -> Path:
    """Where the daily cost ledger lives: ``<repo>/<memory_dir>/ledger.json``.

    :param repo_root: The user's rootdir (where ``memory_dir`` is rooted), in the
        user's checkout: never the task's worktree, which is thrown away.
    """
    return repo_root / settings.memory_dir / LEDGER_NAME


def _user_rootdir(workspace: Workspace) -> Path:
    # memory/ lives in the user's rootdir, which may be a subdirectory of the repository.
    rel = workspace.test_root.resolve().relative_to(workspace.root.resolve())
    return workspace.repo_root / rel


def propose(
    task: Task, context: Context, workspace: Workspace, settings: AgentSettings
) -> Proposal | None:
    """Ask the model for a diff in a ReAct loop with tools.

    Always returns a :class:`~pytest_agent.Proposal` carrying the usage: with an empty
    ``diff`` when the model gave none, and a ``stop_reason`` when a budget or a
    failed request ends the task.
    """
    budget = _budget(settings, spent_in_history(context.history), _user_rootdir(workspace))
    client = ChatClient(settings, budget, purpose="propose")
    try:
        loop = ReactLoop(task, context, workspace, client, budget, settings.tool_mode)
        return loop.run()
    except Exception as exc:  # noqa: BLE001 - never crash the pytest run; say what broke
        reason = client.safe(f"llm engine error: {type(exc).__name__}: {exc}")
        return Proposal(diff="", notes=reason, engine=ENGINE, usage=budget.used,
                        stop_reason=reason)
    finally:
        client.close()


def reflect(
    task: Task,
    attempt: AttemptRecord,
    verdict: Verdict | None,
    context: Context,
    settings: AgentSettings,
) -> Critique | None:
    """Ask the model for a short critique of a failed attempt.

    ``None`` (the harness's rule-based critique is used) when the budget forbids the
    request, the request fails, or the reply is empty.
    """
    history = context.history
    if all(r.number != attempt.number for r in history):
        history = (*history, attempt)
    budget = _budget(settings, spent_in_history(history), _user_rootdir(context.workspace))
    messages = [
        {"role": "system", "content": REFLECT_SYSTEM},
        {"role": "user", "content": reflect_message(task, attempt, verdict)},
    ]
    text = _ask(settings, budget, "reflect", messages)
    if not text:
        return None
    return Critique(text=text, usage=budget.used)


def summarize(text: str, settings: AgentSettings, *, repo_root: Path | None = None) -> str | None:
    """Summarize older task-memory entries for compaction; ``None`` to keep the default.

    :param repo_root: The rootdir whose daily ledger is charged (default: the nearest
        directory, from the current one up, that holds ``<memory_dir>/scratch``).
    """
    budget = _budget(settings, Usage(), repo_root or _memory_owner(settings))
    messages = [
        {"role": "system", "content": SUMMARIZE_SYSTEM},
        {"role": "user", "content": redact(text, _secrets(settings))[-20000:]},
    ]
    return _ask(settings, budget, "summarize", messages)


# -- internals -------------------------------------------------------------------


def _memory_owner(settings: AgentSettings) -> Path:
    # Compaction runs on a scratch file that exists: its rootdir is the ledger's.
    cwd = Path.cwd()
    for candidate in (cwd, *cwd.parents):
        if (candidate / settings.memory_dir / "scratch").is_dir():
            return candidate
    return cwd


def _secrets(settings: AgentSettings) -> tuple[str, ...]:
    return (settings.api_key.get_secret_value(),) if settings.api_key else ()


def _budget(settings: AgentSettings, before: Usage, repo_root: Path) -> TaskBudget:
    ledger = None
    if lookup_price(settings.model, settings.prices) is not None:
        # Spending is recorded even without a cap, so a cap set later sees today's total.
        cap = settings.daily_cost_cap if settings.daily_cost_cap is not None else float("inf")
        ledger = DailyLedger(ledger_path(repo_root, settings), cap)
    return TaskBudget(settings, before, ledger)


def _ask(
    settings: AgentSettings, budget: TaskBudget, purpose: str, messages: list[dict[str, str]]
) -> str | None:
    client = ChatClient(settings, budget, purpose=purpose)
    try:
        reply = client.complete(messages)
    except (BudgetStop, LLMError, ToolsRejected):
        return None
    except Exception:  # noqa: BLE001 - advisory: any failure means "use the default"
        return None
    finally:
        client.close()
    text = client.safe(reply.content).strip()
    return text or None
