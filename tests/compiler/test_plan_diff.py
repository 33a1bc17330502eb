"""`claimlab plan SPEC --diff REV` on a real git repository: the spec (and its fragments) as
committed against the working tree, as text, Markdown for a pull request, and JSON."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from claimlab.main import main

ROOT = Path(__file__).resolve().parents[2]

FRAGMENT = """\
base:
  model: {width: 64, head_dim: 16, depth: 1}
  budget: {steps: 100}
"""
SPEC = """\
extends: base/tiny.yaml
name: lr-sweep
sweep:
  grid:
    model.width: [32, 64]
    optimizer.lr: [0.01, 0.1]
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def git(repo: Path, *args: str) -> None:
    done = run("git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args, cwd=repo)
    assert done.returncode == 0, done.stderr


def claimlab(repo: Path, *args: str) -> subprocess.CompletedProcess:
    """The command as a user runs it, in this process (a new one would spend seconds
    importing torch for the other commands)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(repo), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "specs" / "base").mkdir(parents=True)
    (tmp_path / "specs" / "base" / "tiny.yaml").write_text(FRAGMENT)
    (tmp_path / "specs" / "sweep.yaml").write_text(SPEC)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "spec")
    return tmp_path


def plan_json(repo: Path, *args: str) -> dict:
    done = claimlab(repo, "plan", "specs/sweep.yaml", "--format", "json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def complete(repo: Path, run_id: str) -> None:
    run_dir = repo / "results" / "runs" / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "summary.json").write_text(json.dumps({"id": run_id, "status": "completed"}))


def test_a_change_in_a_fragment_changes_every_run_and_invalidates_completed_ones(repo):
    before = {tuple(sorted(r["overrides"].items())): r["id"] for r in plan_json(repo)["runs"]}
    complete(repo, before[(("model.width", 32), ("optimizer.lr", 0.01), ("seed", 0))])
    (repo / "specs" / "base" / "tiny.yaml").write_text(FRAGMENT.replace("steps: 100",
                                                                        "steps: 400"))
    diff = plan_json(repo, "--diff", "main")
    assert (diff["added"], diff["removed"], diff["unchanged"]) == ([], [], [])
    assert len(diff["changed"]) == 4
    assert {c["old"] for c in diff["changed"]} == set(before.values())
    for change in diff["changed"]:
        assert change["changes"] == [{"path": "budget.steps", "old": 100, "new": 400}]
    assert sorted(c["invalidated"] for c in diff["changed"]) == [False, False, False, True]


def test_added_removed_and_unchanged_runs(repo):
    (repo / "specs" / "sweep.yaml").write_text(SPEC.replace("[32, 64]", "[64, 128]"))
    diff = plan_json(repo, "--diff", "HEAD")
    assert (len(diff["added"]), len(diff["removed"]), len(diff["unchanged"])) == (2, 2, 2)
    assert diff["changed"] == []
    text = claimlab(repo, "plan", "specs/sweep.yaml", "--diff", "HEAD")
    assert text.returncode == 0, text.stderr
    assert "2 added, 2 removed, 0 changed, 2 unchanged" in text.stdout
    assert "model.width=128 optimizer.lr=0.01 seed=0" in text.stdout


def test_markdown_is_a_pull_request_comment(repo):
    (repo / "specs" / "sweep.yaml").write_text(SPEC.replace("[0.01, 0.1]", "[0.01, 0.1, 1.0]")
                                               + "base: {budget: {steps: 200}}\n")
    done = claimlab(repo, "plan", "specs/sweep.yaml", "--diff", "main", "--format", "markdown")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "### Plan of `specs/sweep.yaml` against `main`"
    assert "| 2 | 0 | 4 | 0 | 0 |" in lines[4]
    assert "**Changed**, 4 runs: `budget.steps`: `100` → `200`" in done.stdout
    assert "<details><summary>Added: 2 run(s)</summary>" in done.stdout


def test_a_spec_new_since_the_revision_adds_every_run(repo):
    (repo / "specs" / "new.yaml").write_text(SPEC.replace("lr-sweep", "new-sweep"))
    done = claimlab(repo, "plan", "specs/new.yaml", "--diff", "main", "--format", "json")
    diff = json.loads(done.stdout)
    assert len(diff["added"]) == 4 and diff["note"] == "the spec is not in main"


def test_an_unknown_revision_is_a_clear_error(repo):
    done = claimlab(repo, "plan", "specs/sweep.yaml", "--diff", "no-such-branch")
    assert done.returncode == 2
    assert done.stderr.strip() == "--diff no-such-branch: unknown revision 'no-such-branch'"


@pytest.mark.slow
def test_the_pull_request_script_comments_on_every_spec(repo):
    (repo / "specs" / "sweep.yaml").write_text(SPEC.replace("[32, 64]", "[32, 64, 128]"))
    (repo / "scripts").mkdir()
    script = repo / "scripts" / "plan-diff-comment.sh"
    script.write_text((ROOT / "scripts" / "plan-diff-comment.sh").read_text())
    launcher = repo / "claimlab"
    launcher.write_text(f'#!/usr/bin/env bash\nexec "{sys.executable}" -m claimlab.main "$@"\n')
    launcher.chmod(0o755)
    done = subprocess.run(["bash", str(script), "main"], cwd=repo, capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "CLAIMLAB": str(launcher)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("<!-- claimlab-plan-diff -->\n## Plans of the specs in this "
                                  "change, against `main`\n")
    assert "### Plan of `specs/sweep.yaml` against `main`" in done.stdout
    assert "| 2 | 0 | 0 | 4 | 0 |" in done.stdout
