"""pytest-xdist: dependent tasks on one worker, in dependency order (issue #8).

A task must not start before the tasks it depends on have finished, and a worker
only knows the outcomes of the tasks it ran itself. So the tasks of one
dependency-connected component get one ``xdist_group`` and xdist distributes with
``--dist loadgroup``: a group runs on one worker, in collection order, which is
dependency order. The default ``--dist load`` (what ``-n`` gives) is switched to
``loadgroup``; since workers parse the command line themselves, the controller
tells them through ``workerinput``.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import pytest

from pytest_agent._compat import add_xdist_group_suffix
from pytest_agent._compat import xdist_workerinput
from pytest_agent._face import is_xdist_worker
from pytest_agent._face import task_id_of
from pytest_agent.plan import LoadedTask

__all__ = [
    "configure_node", "dependency_groups", "distribute_by_group", "mark_group", "suffix_groups",
]

#: Worker input key: the controller switched ``--dist`` to ``loadgroup``.
_LOADGROUP_KEY = "agent_loadgroup"
#: ``--dist`` modes that may run a dependent task on another worker than its dependency.
_UNGROUPED_DIST = ("load", "worksteal")


def dependency_groups(tasks: Sequence[LoadedTask]) -> dict[str, str]:
    """Task id -> group name, for tasks in a dependency-connected component of two or more.

    The name is ``agent-<id of the component's first task in plan order>``, so it is
    the same in every process that loads the same plans.
    """
    index = {t.id: i for i, t in enumerate(tasks)}
    parent = {t.id: t.id for t in tasks}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for t in tasks:
        for dep in t.spec.depends_on:
            if dep in parent:
                a, b = sorted((find(t.id), find(dep)), key=index.__getitem__)
                parent[b] = a  # the root stays the earliest task in plan order
    members: dict[str, list[str]] = {}
    for t in tasks:
        members.setdefault(find(t.id), []).append(t.id)
    return {tid: f"agent-{root}" for root, group in members.items() if len(group) > 1
            for tid in group}


def distribute_by_group(config: pytest.Config) -> None:
    """Keep each dependency component on one xdist worker (see the module docstring)."""
    if is_xdist_worker(config):
        if xdist_workerinput(config).get(_LOADGROUP_KEY):
            # Read by xdist's worker when it names items (``nodeid@group``).
            config.option.loadgroup = True
    elif config.getoption("dist", None) in _UNGROUPED_DIST and \
            config.getoption("numprocesses", None):
        config.option.dist = "loadgroup"


def configure_node(config: pytest.Config, node: Any) -> None:
    """Controller side: tell a worker whether ``--dist`` is ``loadgroup``."""
    node.workerinput[_LOADGROUP_KEY] = config.getoption("dist", None) == "loadgroup"


def mark_group(config: pytest.Config, item: pytest.Item, groups: Mapping[str, str]) -> None:
    """Worker side, at collection: mark a grouped task's item with its ``xdist_group``.

    Marked before xdist's worker appends ``@<group>`` to node ids in its
    pytest_collection_modifyitems. Only on workers (only they collect under xdist,
    and xdist registers the marker there: --strict-markers holds).
    """
    if not is_xdist_worker(config):
        return
    task_id = task_id_of(item.nodeid)
    group = groups.get(task_id) if task_id is not None else None
    if group is not None:
        item.add_marker(pytest.mark.xdist_group(group))


def suffix_groups(config: pytest.Config, items: Sequence[pytest.Item]) -> None:
    """Worker side: make sure grouped node ids carry xdist's ``@<group>`` suffix.

    xdist's loadgroup scheduler reads the group from that suffix, which its worker
    writes into the private ``Node._nodeid``. pytest 9.2 builds ``nodeid`` from a
    structured id instead, so the write is lost and dependent tasks would land on
    other workers (pytest-xdist#1386). Runs after xdist's hook; a no-op where the
    suffix took effect.
    """
    if is_xdist_worker(config) and config.getvalue("loadgroup"):
        add_xdist_group_suffix(items)
