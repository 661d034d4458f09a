"""How the engine talks to a server, remembered for the task, and what to tell the user.

Modes:

- ``native``: the ``tools`` parameter is sent; calls come back in ``tool_calls``, or in
  the text when the server's tool-call parser is off (then the dialect is recorded).
- ``prompted``: the server refused ``tools``; the tools are described in the system
  prompt and calls are read from the text; results go back as user messages.
- ``text``: no tools (``tool_mode: text``); the reply carries a fenced diff.

``tool_mode: auto`` finds the mode from the first replies; the notes of each attempt
carry a line ``llm mode: ...`` (task memory, report), from which the next attempt
starts, so a server that refuses ``tools`` is asked once per task, not once per attempt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from typing import Literal
from typing import final
from urllib.parse import urlsplit

from pytest_agent._types import Context

__all__ = ["Mode", "ModeState", "remembered_mode", "server_hint"]

Mode = Literal["native", "prompted", "text"]

_LINE: Final = re.compile(
    r"^llm mode: (native|prompted|text); tool calls: ([\w-]+); results: (tool|user) messages$",
    re.MULTILINE,
)


@final
@dataclass
class ModeState:
    """The mode of one attempt's conversation."""

    mode: Mode
    #: Tool results go back as user messages (the server refused ``tool`` roles).
    results_as_user: bool = False
    #: ``native`` or a text dialect (``hermes``, ...) once a call was seen.
    dialect: str | None = None

    def line(self) -> str:
        """The line in the notes that the next attempt starts from."""
        results = "user" if self.results_as_user else "tool"
        return (f"llm mode: {self.mode}; tool calls: {self.dialect or 'none'}; "
                f"results: {results} messages")


def remembered_mode(context: Context) -> ModeState | None:
    """The mode an earlier attempt of the task ended in, from its notes."""
    for record in reversed(context.history):
        notes = record.proposal.notes if record.proposal is not None else ""
        match = _LINE.search(notes)
        if match is not None:
            mode: Mode = match.group(1)  # type: ignore[assignment]
            dialect = None if match.group(2) == "none" else match.group(2)
            return ModeState(mode, match.group(3) == "user", dialect)
    return None


# -- the one line for the user --------------------------------------------------------

#: vLLM's ``--tool-call-parser`` per text dialect.
_VLLM_PARSERS: Final = {"hermes": "hermes", "mistral": "mistral", "llama3": "llama3_json"}
_MODEL_PARSERS: Final = (("qwen3-coder", "qwen3_coder"), ("qwen", "hermes"),
                         ("hermes", "hermes"), ("mistral", "mistral"),
                         ("devstral", "mistral"), ("codestral", "mistral"),
                         ("llama", "llama3_json"), ("deepseek", "deepseek_v3"))


def server_hint(*, rejected: str | None, dialect: str | None, model: str,
                base_url: str | None, fingerprint: str = "") -> str | None:
    """One line naming the server setting that gives native tool calls, or ``None``.

    :param rejected: The server's answer when it refused the ``tools`` parameter.
    :param dialect: How tool calls arrived in the text (when they did).
    """
    server = _server_kind(rejected or "", base_url, fingerprint)
    if rejected is None and (dialect is None or dialect == "native"):
        return None
    parser = _vllm_parser(dialect, model)
    meanwhile = "; until then tool calls are read from the text"
    if server == "llama.cpp":
        return ("llama.cpp: start llama-server with --jinja (and a chat template with tool "
                f"support) for native tool calls{meanwhile}")
    if server == "ollama" and rejected is not None:
        return (f"Ollama: {model!r} has no tool support in its template; a model with the "
                f"'tools' capability (see `ollama show`) gives native tool calls{meanwhile}")
    if server == "ollama":
        return (f"Ollama did not parse {model!r}'s tool calls (its template's format differs "
                f"from the model's output){meanwhile}")
    if server == "lm-studio":
        return f"LM Studio: this model has no native tool-use support{meanwhile}"
    if server == "vllm":
        return (f"vLLM: start the server with --enable-auto-tool-choice --tool-call-parser "
                f"{parser} for native tool calls{meanwhile}")
    if rejected is None:
        return (f"the server returned tool calls as text ({dialect}): its tool-call parsing is "
                f"off (vLLM: --enable-auto-tool-choice --tool-call-parser {parser}; llama.cpp: "
                f"--jinja){meanwhile}")
    return f"the server refused the tools parameter: tools are described in the prompt{meanwhile}"


def _server_kind(rejected: str, base_url: str | None, fingerprint: str) -> str:
    low = rejected.lower()
    port = urlsplit(base_url or "").port
    if "jinja" in low or port == 8080:
        return "llama.cpp"
    if "does not support tools" in low or "ollama" in fingerprint or port == 11434:
        return "ollama"
    if "auto-tool-choice" in low or "tool-call-parser" in low or port == 8000:
        return "vllm"
    if port == 1234:
        return "lm-studio"
    return "unknown"


def _vllm_parser(dialect: str | None, model: str) -> str:
    if dialect in _VLLM_PARSERS and not ("coder" in model.lower() and "qwen3" in model.lower()):
        return _VLLM_PARSERS[dialect]
    low = model.lower().replace("_", "-")
    for fragment, parser in _MODEL_PARSERS:
        if fragment in low:
            return parser
    return "<the parser for your model, e.g. hermes>"
