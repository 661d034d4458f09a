"""The package's structure: the step table is true, and (later) the import floors hold."""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from pathlib import Path

import pytest

import pytest_agent
from pytest_agent import hookspec
from pytest_agent.steps import STEPS
from pytest_agent.steps.propose import engine_plugin


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_step_table_names_real_hooks_and_modules(step) -> None:
    assert hasattr(hookspec, step.hook), f"{step.hook} is not a hookspec"
    modules = [step.module] if step.module else [
        "pytest_agent.engines.offline._plugin", "pytest_agent.engines.llm._plugin",
    ]
    for name in modules:
        module = importlib.import_module(name)
        holders = [module, *(v for v in vars(module).values() if isinstance(v, type))]
        assert any(callable(getattr(h, step.hook, None)) for h in holders), \
            f"{name} has no {step.hook}"


def test_every_step_hook_is_in_the_table() -> None:
    step_hooks = {n for n in dir(hookspec) if n.startswith("pytest_agent_")
                  and getattr(getattr(hookspec, n), "pytest_spec", {}).get("firstresult")}
    assert step_hooks == {s.hook for s in STEPS}


@pytest.mark.parametrize("name", ["offline", "llm"])
def test_engine_plugin_is_selected_by_name(name) -> None:
    plugin = engine_plugin(name)
    assert name == plugin.NAME
    assert callable(plugin.pytest_agent_propose_diff)  # type: ignore[attr-defined]


HOOKS = [n for n in dir(hookspec) if n.startswith("pytest_agent_")]


@pytest.mark.parametrize("name", HOOKS)
def test_hook_contract_is_written_down(name: str) -> None:
    """Every parameter has a :param:, every hook a conftest example; steps say firstresult."""
    spec = getattr(hookspec, name)
    doc = spec.__doc__ or ""
    for param in inspect.signature(spec).parameters:
        assert f":param {param}:" in doc, f"{name}: no :param {param}:"
    assert "Example (conftest.py)::" in doc, name
    if spec.pytest_spec.get("firstresult"):
        assert ":returns:" in doc and "None" in doc.split(":returns:", 1)[1], name
        assert "Stops at first non-None result." in doc, name


@pytest.mark.parametrize("name", HOOKS)
def test_hook_example_compiles(name: str) -> None:
    doc = getattr(hookspec, name).__doc__ or ""
    example = textwrap.dedent(doc.split("Example (conftest.py)::", 1)[1])
    compile(example, f"<{name} example>", "exec")


# -- the import graph: no cycles, floors run one way -------------------------------------

PACKAGE = Path(pytest_agent.__file__).parent

#: Module name prefixes of each floor, top to bottom; every other module is ground.
FLOORS: dict[str, tuple[str, ...]] = {
    "face": ("plugin", "_face", "item", "session", "report", "progress", "cli", "__main__"),
    "loop": ("executor", "hookspec"),
    "steps": ("steps", "localize", "engines", "patch", "verify"),
}
RANK = {"face": 3, "loop": 2, "steps": 1, "ground": 0}


def floor_of(module: str) -> str:
    rel = module.removeprefix("pytest_agent").lstrip(".")
    top = rel.split(".", 1)[0]
    for floor, prefixes in FLOORS.items():
        if top in prefixes:
            return floor
    return "ground"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
                "TYPE_CHECKING", "typing.TYPE_CHECKING"):
            for stmt in node.body:
                inside.update(id(n) for n in ast.walk(stmt))
    return inside


def import_graph() -> dict[str, dict[str, bool]]:
    """module -> {imported module: imported only for type checking}; lazy imports included."""
    modules = _modules()
    graph: dict[str, dict[str, bool]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = _type_checking_nodes(tree)
        edges: dict[str, bool] = {}
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolve against this module's package
                    package = name.split(".") if path.name == "__init__.py" else \
                        name.split(".")[:-1]
                    kept = package[:len(package) - node.level + 1]
                    base = ".".join([*kept, base] if base else kept)
                targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            for target in targets:
                if target in modules and target != name:
                    edges[target] = edges.get(target, True) and id(node) in typing_only
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


#: Cycles known when this test was written, with their owner: listed so the suite stays
#: green while they are open. The test fails when a new cycle appears, and when one of
#: these is gone (then delete it here).
KNOWN_CYCLES: dict[frozenset[str], str] = {}


@pytest.fixture(scope="module")
def graph() -> dict[str, dict[str, bool]]:
    """The package's import graph, parsed once for the tests below (they only read it)."""
    return import_graph()


def test_no_import_cycles(graph: dict[str, dict[str, bool]]) -> None:
    """Lazy (function-level) imports count; ``if TYPE_CHECKING:`` imports do not run."""
    runtime = {m: {t for t, typing_only in edges.items() if not typing_only}
               for m, edges in graph.items()}
    cycles = {frozenset(c) for c in _cycles(runtime)}
    new = [" <-> ".join(sorted(c)) for c in cycles - KNOWN_CYCLES.keys()]
    assert not new, "import cycles:\n" + "\n".join(new)
    fixed = [" <-> ".join(sorted(c)) for c in KNOWN_CYCLES.keys() - cycles]
    assert not fixed, "fixed, remove from KNOWN_CYCLES:\n" + "\n".join(fixed)


def test_floors_run_one_way(graph: dict[str, dict[str, bool]]) -> None:
    """face -> loop -> steps -> ground: no import goes up a floor (type-only ones neither)."""
    offenders = sorted(
        f"{module} ({floor_of(module)}) imports {target} ({floor_of(target)})"
        for module, edges in graph.items()
        for target in edges
        if RANK[floor_of(target)] > RANK[floor_of(module)]
    )
    assert not offenders, "imports going up a floor:\n" + "\n".join(offenders)


def test_the_graph_sees_lazy_imports(graph: dict[str, dict[str, bool]]) -> None:
    # plugin.py imports the session inside pytest_configure only.
    assert "pytest_agent.session" in graph["pytest_agent.plugin"]
    assert floor_of("pytest_agent.session._xdist") == "face"
    assert floor_of("pytest_agent.engines.llm._plugin") == "steps"
    assert floor_of("pytest_agent.workspace") == "ground"
