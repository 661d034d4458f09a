"""The real-bug corpus's manifest keeps its promises (benchmarks/real_bugs/bugs.json).

The held-out and check splits are only honest measures while nothing reads them by
accident and no project is in two splits (tuned, held-out, study, check); and the corpus
must never draw on the published APR benchmarks or the projects BugsInPy is built from,
which are how we are measured.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from conftest import benchmark_script

CORPUS = Path(__file__).resolve().parents[1] / "benchmarks" / "real_bugs"

#: BugsInPy's projects (and QuixBugs), which our corpora must never use.
FORBIDDEN = {
    "ansible", "black", "cookiecutter", "fastapi", "httpie", "keras", "luigi", "matplotlib",
    "pandas", "pysnooper", "sanic", "scrapy", "spacy", "thefuck", "tornado", "tqdm",
    "youtube-dl", "quixbugs",
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, object]:
    data: dict[str, object] = json.loads((CORPUS / "bugs.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def materialize() -> ModuleType:
    # It imports its sibling _git.
    return benchmark_script("real_bugs/materialize.py", "_real_bugs_materialize",
                            sibling_imports=True)


def _bugs(manifest: dict[str, object]) -> list[dict[str, object]]:
    bugs = manifest["bugs"]
    assert isinstance(bugs, list)
    return bugs


def _split_of(bug: dict[str, object], projects: dict[str, dict[str, object]]) -> object:
    return bug.get("split", projects[str(bug["project"])].get("split", "tuned"))


def test_ids_are_unique(manifest: dict[str, object]) -> None:
    counts = Counter(str(bug["id"]) for bug in _bugs(manifest))
    assert [bug_id for bug_id, n in counts.items() if n > 1] == []


def test_every_bug_has_a_known_split_and_no_project_is_in_both(
    manifest: dict[str, object],
) -> None:
    projects = manifest["projects"]
    assert isinstance(projects, dict)
    splits_of_project: dict[str, set[object]] = {}
    for bug in _bugs(manifest):
        split = _split_of(bug, projects)
        assert split in ("tuned", "heldout", "study", "check", "study2"), bug["id"]
        splits_of_project.setdefault(str(bug["project"]), set()).add(split)
    assert {p: s for p, s in splits_of_project.items() if len(s) > 1} == {}
    assert {"tuned", "heldout"} <= set().union(*splits_of_project.values())


def test_no_published_benchmark_project(manifest: dict[str, object]) -> None:
    projects = manifest["projects"]
    assert isinstance(projects, dict)
    used = {str(p["repo"]).lower() for p in projects.values()}
    assert {repo for repo in used if repo.rsplit("/", 1)[-1] in FORBIDDEN} == set()


def test_readers_get_the_tuned_split_unless_they_ask(
    manifest: dict[str, object], materialize: ModuleType,
) -> None:
    projects = manifest["projects"]
    assert isinstance(projects, dict)
    expected = Counter(str(_split_of(bug, projects)) for bug in _bugs(manifest))
    default = materialize.load_manifest()
    assert {bug.split for bug in default} == {"tuned"}
    assert len(default) == expected["tuned"]
    assert len(materialize.load_manifest(split="heldout")) == expected["heldout"]
    assert len(materialize.load_manifest(split="study")) == expected["study"]
    assert len(materialize.load_manifest(split="check")) == expected["check"]
    assert len(materialize.load_manifest(split="study2")) == expected["study2"]
    assert len(materialize.load_manifest(split="all")) == len(_bugs(manifest))
    with pytest.raises(ValueError, match="split 'test'"):
        materialize.load_manifest(split="test")


def test_study2_is_its_own_split_and_the_default_stays_tuned(
        materialize: ModuleType, tmp_path: Path) -> None:
    """A manifest with a bug of every split: the default reader gets the tuned bug alone,
    and ``split="study2"`` the study2 bug alone (issue #17, ninth round)."""
    splits = ("tuned", "heldout", "study", "check", "study2")
    bugs = [{"id": f"p{i}-abc123{i}", "project": f"p{i}", "fix_commit": "f", "buggy_commit": "b",
             "line": 1, "fault_kind": "wrong-value", "test_files": ["tests/test_x.py"],
             "accept_tests": ["tests/test_x.py::test_x"],
             "changed": [{"file": "x.py", "function": "f"}], "split": split}
            for i, split in enumerate(splits)]
    projects = {f"p{i}": {"repo": f"o/p{i}", "license": "MIT", "split": split}
                for i, split in enumerate(splits)}
    path = tmp_path / "bugs.json"
    path.write_text(json.dumps({"projects": projects, "bugs": bugs}), encoding="utf-8")
    assert [b.id for b in materialize.load_manifest(path)] == ["p0-abc1230"]
    study2 = materialize.load_manifest(path, split="study2")
    assert [(b.id, b.split) for b in study2] == [("p4-abc1234", "study2")]
    assert [b.id for b in materialize.load_manifest(path, split="study")] == ["p2-abc1232"]
    assert len(materialize.load_manifest(path, split="all")) == len(splits)


def test_a_projects_removed_files_are_left_out_of_its_trees(
        materialize: ModuleType, tmp_path: Path) -> None:
    """A project's ``remove`` (rich's tests/pytest.ini, which would make tests/ the rootdir)
    is left out of the tree that prepare_tree builds; the other files stay."""
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "pytest.ini").write_text("[pytest]\njunit_family=legacy\n")
    (repo / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")

    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t",
                               *args], cwd=repo, check=True, capture_output=True, text=True,
                              timeout=60).stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "one")
    sha = git("rev-parse", "HEAD")
    kept = materialize.prepare_tree(repo / ".git", sha, sha, (), tmp_path / "kept")
    left = materialize.prepare_tree(repo / ".git", sha, sha, (), tmp_path / "left",
                                    removed=("tests/pytest.ini",))
    assert (kept / "tests" / "pytest.ini").is_file()
    assert not (left / "tests" / "pytest.ini").exists()
    assert (left / "tests" / "test_a.py").is_file()


def test_the_projects_remove_reaches_its_bugs(manifest: dict[str, object],
                                              materialize: ModuleType) -> None:
    projects = manifest["projects"]
    assert isinstance(projects, dict)
    for bug in materialize.load_manifest(split="all"):
        assert bug.removed == tuple(projects[bug.project].get("remove", "").split()), bug.id


def test_the_check_split_is_reported_by_its_counts_only() -> None:
    """The offline engine's report of the check split names no bug (issue #17): the others
    read its counts, never which bug was repaired."""
    runner = benchmark_script("real_bugs/run.py", "_real_bugs_run_report")
    verdict = runner.Verdict(id="proj-abc1234", project="proj", fault_kind="wrong-value: x",
                             status="done", repaired=True, equal_ast=True, heldout_pass=True,
                             seconds=3.0, diff_lines=2, last_error="")
    counts = runner.report([verdict], "c0ffee", per_bug=False)
    assert "| repaired (accept tests pass) | 1/1 |" in counts
    assert "proj-abc1234" not in counts and "wrong-value" not in counts
    assert "proj-abc1234" in runner.report([verdict], "c0ffee")


def test_each_projects_test_imports_are_in_the_corpus_requirements(
        manifest: dict[str, object], materialize: ModuleType) -> None:
    projects = manifest["projects"]
    assert isinstance(projects, dict)
    lines = (CORPUS / "requirements.txt").read_text().splitlines()
    required = {line.split("#", 1)[0].strip().lower().split("<", 1)[0] for line in lines}
    # an import name other than the distribution's: "markdown-it-py  # rich: import markdown_it"
    required |= {m.group(1) for line in lines if (m := re.search(r"#.*\bimport (\w+)", line))}
    for project, names in materialize.TEST_IMPORTS.items():
        assert project in projects, project
        assert all(name in required for name in names), (project, names)


def test_a_bug_whose_project_lacks_a_test_import_is_refused(
        materialize: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(materialize.TEST_IMPORTS, "proj", ("json", "no_such_module_x1"))
    assert materialize.missing_test_imports(["proj", "proj", "toolz"]) == {
        "proj": ["no_such_module_x1"]}
    with pytest.raises(RuntimeError, match=r"proj needs no_such_module_x1\): python -m pip "
                       r"install -r benchmarks/real_bugs/requirements.txt"):
        materialize.require_test_imports(["toolz", "proj"])
    materialize.require_test_imports(["toolz"])  # nothing missing: no error
