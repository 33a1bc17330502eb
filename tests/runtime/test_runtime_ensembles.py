"""Ensemble stages end to end: `claimlab run` trains the members once, then the ensemble run
evaluates their averaged predicted probabilities on the validation batches."""

import json
import math
from pathlib import Path

import pytest
import torch
import yaml

from claimlab.main import main
from compiler import compile_spec
from compiler.language.metric_names import logged
from launch.job_graph import JobGraph
from launch.local import Job
from runtime.config.run import load_job
from runtime.data.batches import Batches
from runtime.model.gpt import GPT
from runtime.results import checkpoint_path, read_summary, run_dir

TINY = {"model": {"width": 32, "depth": 1, "head_dim": 16, "seq_len": 32},
        "parametrization": {"base_width": 32}, "optimizer": {"lr": 1e-2},
        "data": {"batch_size": 8}, "budget": {"steps": 30}, "eval": {"every": 10, "batches": 2}}


def write_spec(tmp_path: Path) -> Path:
    path = tmp_path / "ensembles.yaml"
    path.write_text(yaml.safe_dump({
        "name": "ensembles",
        "base": TINY,
        # Two ensembles name the same members: each member still trains once.
        "stages": [{"name": "train"},
                   {"name": "three", "parent": "train", "ensemble": [0, 1, 2]},
                   {"name": "two", "parent": "train", "ensemble": [0, 1]},
                   # An ensemble of one is its member: the baseline of ensemble sizes.
                   {"name": "one", "parent": "train", "ensemble": [2]}],
        "sweep": {"seeds": [0, 1, 2]}}))
    return path


def averaged_probability_loss(members: list[GPT], batches) -> float:
    """By hand: softmax each member's logits, average the probabilities, take -log of the
    target's; mean over tokens per batch, then over batches and sources."""
    per_source = []
    for source in batches.values():
        losses = []
        for x, y in source:
            probs = torch.stack([torch.softmax(m(x).double(), -1) for m in members]).mean(0)
            losses.append(-torch.log(probs.gather(-1, y[..., None])).mean().item())
        per_source.append(sum(losses) / len(losses))
    return sum(per_source) / len(per_source)


@pytest.mark.slow
def test_an_ensemble_beats_its_mean_member_and_is_the_averaged_probability_loss(
        tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = write_spec(tmp_path)
    plan = compile_spec(path).plan
    by_stage = {stage: [r for r in plan.runs if r.stage == stage]
                for stage in ("train", "three", "two", "one")}
    assert [len(runs) for runs in by_stage.values()] == [3, 1, 1, 1]
    members = {r.config.seed: r for r in by_stage["train"]}
    three, two, one = by_stage["three"][0], by_stage["two"][0], by_stage["one"][0]
    assert three.config.ensemble.runs == tuple(members[s].id for s in (0, 1, 2))
    assert two.config.ensemble.runs == (members[0].id, members[1].id)
    # Members keep the checkpoint the ensembles read; the job graph runs them first.
    assert all(m.config.execution.keep_checkpoints == (30,) for m in members.values())
    jobs = [Job(r.id, Path("build/plans/ensembles/jobs") / f"{r.id}.json") for r in plan.runs]
    assert main(["compile", str(path)]) == 0
    graph = JobGraph.of(jobs)
    assert graph.parents(three.id) == {m.id for m in members.values()}
    assert graph.descendants(members[0].id) == {three.id, two.id}
    assert graph.descendants(members[2].id) == {three.id, one.id}

    assert main(["run", str(path), "--results", "results", "-j", "2"]) == 0
    assert "6 completed" in capsys.readouterr().out
    # An ensemble's one-line log at the step it reads is a sound result.
    assert main(["verify", "results"]) == 0

    device = torch.device("cpu")
    models = {}
    for seed, member in members.items():
        model = GPT(member.config.model, member.config.parametrization)
        state = torch.load(checkpoint_path(run_dir("results", member.id), 30),
                           weights_only=True)["model"]
        model.load_state_dict(state)
        models[seed] = model.eval()
    config = load_job(f"build/plans/ensembles/jobs/{three.id}.json")
    batches = Batches.from_config(config.data, config.model.seq_len, device,
                                  steps=config.budget.steps).val_batches(config.eval.batches)
    member_losses = {seed: read_summary("results", m.id)["final"]["val_loss"]
                     for seed, m in members.items()}
    for ensemble, seeds in ((three, (0, 1, 2)), (two, (0, 1)), (one, (2,))):
        summary = read_summary("results", ensemble.id)
        final = summary["final"]
        assert summary["status"] == "completed" and summary["steps"] == 30
        mean_member = sum(member_losses[s] for s in seeds) / len(seeds)
        assert math.isclose(final["val_loss/members"], mean_member, rel_tol=1e-5)
        assert final["val_loss/ensemble"] <= mean_member * (1 + 1e-6)
        with torch.no_grad():
            by_hand = averaged_probability_loss([models[s] for s in seeds], batches)
        assert math.isclose(final["val_loss/ensemble"], by_hand, rel_tol=1e-5)
        # What the spec language knows an ensemble run logs is what it logged.
        lines = (run_dir("results", ensemble.id) / "metrics.jsonl").read_text().splitlines()
        names = {name for line in lines for name in json.loads(line)} - {"step"}
        assert names == logged(ensemble.config).names
    # Averaging probabilities, not logits: the two differ.
    with torch.no_grad():
        x, y = batches[next(iter(batches))][0]
        logits = torch.stack([models[s](x) for s in (0, 1, 2)]).mean(0)
        averaged_logits = torch.nn.functional.cross_entropy(logits.flatten(0, 1),
                                                            y.flatten()).item()
    assert not math.isclose(averaged_logits, by_hand, rel_tol=1e-4)
