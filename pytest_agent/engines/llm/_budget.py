"""Budgets of the LLM engine: the price table, per-task limits and the daily ledger.

A request is checked *before* it is sent: its cost is estimated from the prompt's
size and the completion tokens it may use, and a request that could exceed a
limit is not sent (issue #6: "a budget stops the task before a request that
would exceed it"). After the reply, the reported usage is what counts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Final
from typing import NamedTuple
from typing import final

from filelock import FileLock

from pytest_agent._atomic import write_atomic
from pytest_agent._types import AttemptRecord
from pytest_agent._types import Usage

if TYPE_CHECKING:
    from pytest_agent.settings import AgentSettings

__all__ = [
    "DEFAULT_PRICES",
    "MAX_COMPLETION_TOKENS",
    "MIN_COMPLETION_TOKENS",
    "BudgetStop",
    "DailyLedger",
    "Price",
    "TaskBudget",
    "estimate_tokens",
    "lookup_price",
    "spent_in_history",
]

class Price(NamedTuple):
    """USD per 1M tokens: prompt, completion, and cached prompt tokens (when the
    provider bills a prompt-cache hit at a lower rate)."""

    prompt: float
    completion: float
    cached: float | None = None


#: USD per 1M (prompt, completion, cached prompt) tokens, as published by the
#: providers when this table was written. ``settings.prices`` overrides or extends it.
DEFAULT_PRICES: Final[dict[str, tuple[float, ...]]] = {
    "gpt-4o-mini": (0.15, 0.60, 0.075),
    "gpt-4o": (2.50, 10.00, 1.25),
    "gpt-4.1": (2.00, 8.00, 0.50),
    "gpt-4.1-mini": (0.40, 1.60, 0.10),
    "gpt-4.1-nano": (0.10, 0.40, 0.025),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "o1": (15.00, 60.00, 7.50),
    "o1-mini": (1.10, 4.40, 0.55),
    "o3": (2.00, 8.00, 0.50),
    "o3-mini": (1.10, 4.40, 0.55),
    "o4-mini": (1.10, 4.40, 0.275),
    "deepseek-chat": (0.27, 1.10, 0.07),
    "deepseek-reasoner": (0.55, 2.19, 0.14),
}

#: Completion tokens asked for per request (less when a budget is nearly spent).
MAX_COMPLETION_TOKENS: Final = 4096
#: Below this many completion tokens a request is not worth sending: the task stops.
MIN_COMPLETION_TOKENS: Final = 256


def estimate_tokens(text: str) -> int:
    """A cautious token count: three characters a token (no tokenizer dependency).

    Tokenizers give about four characters a token for English and three for code;
    a budget check that guesses low could let a request past a limit.
    """
    return len(text) // 3 + 1


def lookup_price(model: str, extra: Mapping[str, tuple[float, ...]]) -> Price | None:
    """The price of ``model``: exact name first, then the longest known prefix.

    ``openai/gpt-4o-mini`` and ``gpt-4o-mini-2024-07-18`` both find ``gpt-4o-mini``.
    """
    table = {**DEFAULT_PRICES, **extra}
    name = model.rsplit("/", 1)[-1]
    key = model if model in table else name if name in table else max(
        (k for k in table if name.startswith(k + "-")), key=len, default=None)
    if key is None:
        return None
    rates = table[key]
    return Price(rates[0], rates[1], rates[2] if len(rates) > 2 else None)


def cost_of(price: Price | None, prompt: int, completion: int, cached: int = 0) -> float | None:
    """USD for a request; ``cached`` of the ``prompt`` tokens at the cached rate, if any."""
    if price is None:
        return None
    cached = min(max(cached, 0), prompt) if price.cached is not None else 0
    fresh = prompt - cached
    return (fresh * price.prompt + cached * (price.cached or 0.0)
            + completion * price.completion) / 1_000_000


def spent_in_history(history: tuple[AttemptRecord, ...]) -> Usage:
    """What earlier attempts of the task used (proposals and critiques)."""
    total = Usage()
    for record in history:
        if record.proposal is not None:
            total = total + record.proposal.usage
        if record.critique is not None:
            total = total + record.critique.usage
    return total


@final
class BudgetStop(Exception):
    """A limit forbids the next request or tool call; the message says which and why."""


@final
@dataclass
class TaskBudget:
    """The task's limits and what it has used so far (earlier attempts + this call)."""

    settings: AgentSettings
    before: Usage
    ledger: DailyLedger | None
    #: What this engine call used (requests, tokens, cost, tool calls).
    used: Usage = field(init=False)
    #: Prompt tokens the server reported as read from its prompt cache.
    cached_tokens: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.used = Usage(cost_usd=self.zero_cost)

    @property
    def price(self) -> Price | None:
        return lookup_price(self.settings.model, self.settings.prices)

    @property
    def zero_cost(self) -> float | None:
        """``0.0``, or ``None`` for a model without a price (cost stays unknown)."""
        return None if self.price is None else 0.0

    @property
    def total(self) -> Usage:
        return self.before + self.used

    def tool_calls_left(self) -> int:
        return self.settings.max_tool_calls_per_task - self.total.tool_calls

    def plan_request(
        self, prompt_tokens: int, ceiling: int = MAX_COMPLETION_TOKENS
    ) -> tuple[int, float | None]:
        """Completion tokens to ask for (at most ``ceiling``) and the estimated cost, or
        :class:`BudgetStop`."""
        s = self.settings
        total = self.total
        completion = max(MIN_COMPLETION_TOKENS, ceiling)
        if s.max_tokens_per_task is not None:
            left = s.max_tokens_per_task - total.total_tokens - prompt_tokens
            if left < MIN_COMPLETION_TOKENS:
                raise BudgetStop(
                    f"token budget: the task has used {total.total_tokens} tokens; the next "
                    f"request (~{prompt_tokens} prompt tokens + {MIN_COMPLETION_TOKENS} for the "
                    f"answer) would exceed max_tokens_per_task={s.max_tokens_per_task}"
                )
            completion = min(completion, left)
        price = self.price
        if price is not None and s.max_cost_per_task is not None:
            spent = total.cost_usd or 0.0
            # Priced as if nothing were cached: the check must not guess low.
            room = s.max_cost_per_task - spent - prompt_tokens * price.prompt / 1_000_000
            fits = (int(room * 1_000_000 / price.completion) if price.completion > 0
                    else completion)
            if room <= 0 or fits < MIN_COMPLETION_TOKENS:
                estimate = cost_of(price, prompt_tokens, MIN_COMPLETION_TOKENS) or 0.0
                raise BudgetStop(
                    f"cost budget: the task has spent ${spent:.4f}; the next request "
                    f"(estimated ${estimate:.4f}) would exceed max_cost_per_task="
                    f"${s.max_cost_per_task:.4f}"
                )
            completion = min(completion, fits)
        return completion, cost_of(price, prompt_tokens, completion)

    def add(self, usage: Usage) -> None:
        self.used = self.used + usage

    def usage_for(self, prompt: int, completion: int, cached: int = 0) -> Usage:
        self.cached_tokens += max(0, min(cached, prompt))
        return Usage(
            prompt_tokens=prompt,
            completion_tokens=completion,
            cost_usd=cost_of(self.price, prompt, completion, cached),
            requests=1,
        )


@final
class DailyLedger:
    """Dollars spent per UTC day across runs, in ``<repo>/<memory_dir>/ledger.json``.

    Before a request its estimated cost is *reserved* under a file lock (so parallel
    workers cannot all pass the check at once); after the reply the reservation is
    replaced by the actual cost. A run killed in between leaves the estimate in the
    ledger: the error is on the safe side.
    """

    def __init__(self, path: Path, cap: float, *, lock_timeout: float = 30.0) -> None:
        self.path = path
        self.cap = cap
        self._lock_timeout = lock_timeout

    @staticmethod
    def today() -> str:
        return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")

    def spent_today(self) -> float:
        with self._lock():
            return self._day(self._read())["cost_usd"]

    def reserve(self, estimate: float) -> None:
        """Count ``estimate`` against today's cap, or raise :class:`BudgetStop`."""
        with self._lock():
            data = self._read()
            day = self._day(data)
            if day["cost_usd"] + estimate > self.cap:
                raise BudgetStop(
                    f"daily cost cap: ${day['cost_usd']:.4f} spent today (UTC) across runs; the "
                    f"next request (estimated ${estimate:.4f}) would exceed daily_cost_cap="
                    f"${self.cap:.4f} (ledger: {self.path.name})"
                )
            day["cost_usd"] += estimate
            day["requests"] += 1
            self._write(data)

    def settle(self, estimate: float, actual: float) -> None:
        """Replace a reservation by the actual cost (0 when the request failed)."""
        with self._lock():
            data = self._read()
            day = self._day(data)
            day["cost_usd"] = max(0.0, day["cost_usd"] - estimate + actual)
            self._write(data)

    # -- internals ---------------------------------------------------------

    def _lock(self) -> FileLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.path) + ".lock", timeout=self._lock_timeout)

    def _read(self) -> dict[str, object]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": 1, "days": {}}
        except (OSError, ValueError):
            # A torn or hand-edited ledger: keep it for the user, start a fresh one.
            # Spending is then only bounded by the per-task limits until midnight.
            self.path.replace(self.path.with_suffix(".json.corrupt"))
            return {"version": 1, "days": {}}
        if not isinstance(data, dict) or not isinstance(data.get("days"), dict):
            return {"version": 1, "days": {}}
        return data

    def _day(self, data: dict[str, object]) -> dict[str, float]:
        days = data["days"]
        assert isinstance(days, dict)
        day = days.setdefault(self.today(), {})
        if not isinstance(day, dict):
            day = days[self.today()] = {}
        day.setdefault("cost_usd", 0.0)
        day.setdefault("requests", 0)
        return day

    def _write(self, data: dict[str, object]) -> None:
        # 0o600 as before: the ledger was written through a private temp file.
        write_atomic(self.path, json.dumps(data, indent=2, sort_keys=True) + "\n", mode=0o600)
