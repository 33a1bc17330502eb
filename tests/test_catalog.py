"""The catalog's committed results still come out: for each spec with a committed archive
(specs/results/<name>.tar.xz), its cheapest run is trained again here, with the thread count it
was trained with, and its final metrics must equal the committed ones exactly. A runtime change
that would silently move a published verdict fails here instead."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
import torch

from runtime.config.run import RunConfig
from runtime.train import train

ROOT = Path(__file__).resolve().parent.parent
ARCHIVES = sorted((ROOT / "specs" / "results").glob("*.tar.xz"))


def cheapest_run(archive: Path) -> tuple[RunConfig, dict]:
    """The run of the archive with the fewest parameter-steps that starts from no other run
    and reads none (an ensemble)."""
    runs: dict[str, dict[str, bytes]] = {}
    with tarfile.open(archive) as tar:
        for member in tar:
            _, run_id, name = member.name.split("/")
            if name in ("config.json", "summary.json"):
                runs.setdefault(run_id, {})[name] = tar.extractfile(member).read()
    candidates = []
    for files in runs.values():
        config = RunConfig.model_validate_json(files["config.json"])
        summary = json.loads(files["summary.json"])
        # An ensemble trains nothing: it evaluates other runs' checkpoints.
        if summary["status"] == "completed" and "start" not in summary \
                and config.ensemble is None:
            candidates.append((summary["n_params"] * summary["steps"], config.run_id(),
                               config, summary))
    assert candidates, f"{archive.name}: no completed run that starts from scratch"
    _, _, config, summary = min(candidates, key=lambda c: c[:2])
    return config, summary


@pytest.mark.slow
@pytest.mark.skipif(not ARCHIVES, reason="no committed results in specs/results/")
@pytest.mark.parametrize("archive", ARCHIVES, ids=[a.name for a in ARCHIVES])
def test_a_committed_run_trains_to_the_same_numbers(archive: Path, tmp_path: Path) -> None:
    config, committed = cheapest_run(archive)
    threads = torch.get_num_threads()
    torch.set_num_threads(committed["threads"])
    try:
        summary = train(config, tmp_path / config.run_id())
    finally:
        torch.set_num_threads(threads)
    assert summary["status"] == "completed", summary.get("error")
    assert summary["final"] == committed["final"], (
        f"{archive.name}: run {config.run_id()} no longer reproduces its committed result: "
        "a runtime change moved it; if that was meant, bump SCHEMA_VERSION and retrain")
