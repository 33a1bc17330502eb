"""`claimlab data`: what a run will train on, as a user checks it before paying for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

REPLAY_SPEC = """\
name: replay
base:
  model: {width: 16, depth: 1, head_dim: 8, seq_len: 32}
  budget: {steps: 300}
  data:
    batch_size: 10
    sources:
      old: {kind: markov, tokens: 50000, alphabet: 8, entropy: 2.0}
      new: {kind: shifted, base: {kind: markov, tokens: 50000, alphabet: 8, entropy: 2.0},
            symbols: all, seed: 1}
    phases:
      pretrain: {mix: {old: 1.0}}
      update: {start: 0.5, mix: {new: 0.8, old: 0.2}}
sweep:
  grid: {data.phases.update.mix.old: [0.0, 0.2]}
"""


def claimlab(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLAIMLAB_CACHE": str(cwd / "cache")}
    return subprocess.run([sys.executable, "-m", "claimlab.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "replay.yaml"
    path.write_text(REPLAY_SPEC)
    return path


def run_ids(spec: Path) -> dict[float, str]:
    listing = claimlab("data", str(spec), cwd=spec.parent)
    assert listing.returncode == 2 and "Traceback" not in listing.stderr
    assert "its 2 runs differ in their data; choose one with --run ID" in listing.stderr
    ids = {}
    for line in listing.stderr.splitlines()[1:]:
        run_id, swept, _ = line.split()
        ids[float(swept.split("=")[1])] = run_id
    return ids


@pytest.mark.slow
def test_data_shows_sources_and_planned_and_realised_shares_per_phase(spec):
    replay = run_ids(spec)[0.2]
    shown = claimlab("data", str(spec), "--run", replay[:6], "--batches", "150", cwd=spec.parent)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert f"run {replay} of replay: 300 steps x 10 sequences x 32 tokens, seed 0" in out
    assert "phase pretrain: steps 0-149 (from token 0); realised over its first 150 batches" \
        in out
    assert "phase update: steps 150-299 (from token 48,000)" in out
    update = out[out.index("phase update"):]
    assert "new     80.0%    80.0%" in update and "old     20.0%    20.0%" in update
    assert "shifted markov" in out and str(spec.parent / "cache" / "sources") in out


@pytest.mark.slow
def test_data_json_has_everything_the_tables_show(spec):
    replay = run_ids(spec)[0.0]
    shown = claimlab("data", str(spec), "--run", replay, "--json", "--samples", "1",
                     cwd=spec.parent)
    assert shown.returncode == 0, shown.stderr
    described = json.loads(shown.stdout)
    assert described["run"] == replay and described["overrides"]["data.phases.update.mix.old"] == 0
    sources = {s["name"]: s for s in described["sources"]}
    assert sources["old"]["draws"] == 150 * 10 and sources["new"]["draws"] == 150 * 10
    assert sources["old"]["train"]["tokens"] > 40_000 and Path(sources["old"]["cache"]).is_dir()
    update = described["phases"][1]
    assert update["planned"] == {"new": 1.0, "old": 0.0}
    assert update["realised"] == {"new": 1.0, "old": 0.0}
    assert len(update["samples"]["new"]) == 1 and len(update["samples"]["new"][0]) == 33


def test_data_for_an_unknown_run_lists_the_runs(spec):
    missing = claimlab("data", str(spec), "--run", "ffff", cwd=spec.parent)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "--run ffff matches no run; the runs are:" in missing.stderr
    assert "data.phases.update.mix.old=0.2" in missing.stderr


@pytest.mark.slow
def test_a_plan_whose_files_changed_since_compiling_refuses_to_run(tmp_path):
    (tmp_path / "notes.txt").write_text("a line of my own notes\n" * 200)
    (tmp_path / "own.yaml").write_text(
        "name: own\nbase:\n"
        "  data: {sources: {notes: {kind: text, path: notes.txt, documents: line}}}\n")
    assert claimlab("compile", "own.yaml", cwd=tmp_path).returncode == 0
    (tmp_path / "notes.txt").write_text("other notes\n" * 200)
    ran = claimlab("run", "build/plans/own", cwd=tmp_path)
    assert ran.returncode == 2 and "Traceback" not in ran.stderr
    assert "build/plans/own: a job does not load: the data changed since this run was " \
           "planned" in ran.stderr and "compile the spec again" in ran.stderr
    assert not (tmp_path / "results").exists()
