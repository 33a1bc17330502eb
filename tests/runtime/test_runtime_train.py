import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from runtime.data.batches import Batches
from runtime.results import iter_metrics, read_summary, run_dir
from runtime.train import main, train

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("embedding", "hidden", "readout", "vector")


def metrics(out_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (out_dir / "metrics.jsonl").read_text().splitlines()]


def test_training_lowers_the_loss_and_records_every_step(tiny, tmp_path):
    config = tiny()
    summary = train(config, tmp_path)

    assert summary["status"] == "completed"
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert json.loads((tmp_path / "config.json").read_text()) == config.model_dump(mode="json")
    lines = metrics(tmp_path)
    assert [line["step"] for line in lines] == list(range(1, 41))
    assert lines[-1]["tokens"] == 40 * 8 * 32
    for line in lines:
        assert {"step", "tokens", "train_loss", "lr", "grad_norm", "time_s"} <= set(line)
        assert {f"lr/{role}" for role in ROLES} <= set(line)
    assert [line["step"] for line in lines if "val_loss" in line] == [20, 40]
    assert lines[-1]["val_loss"] == lines[-1]["val_loss/code"]
    assert lines[-1]["train_loss"] < lines[0]["train_loss"] - 1.0

    assert summary["id"] == config.run_id()
    assert (summary["steps"], summary["tokens"]) == (40, 40 * 8 * 32)
    assert summary["n_params"] > 0 and summary["wall_time_s"] > 0 and summary["tokens_per_s"] > 0
    assert summary["flops_per_s"] == pytest.approx(
        summary["tokens_per_s"] * summary["flops_per_token"])
    assert "mfu" not in summary  # no known peak on a CPU
    assert {"train_loss", "val_loss", "val_loss/code"} <= set(summary["final"])
    assert all(summary["final"][k] == lines[-1][k] for k in summary["final"])
    assert not (tmp_path / "ckpt").exists() or not list((tmp_path / "ckpt").iterdir())


def test_diagnostics_come_every_k_steps(tiny, tmp_path):
    train(tiny(eval={"every": 20, "diagnostics_every": 10}), tmp_path)
    lines = metrics(tmp_path)
    measured = [line["step"] for line in lines if "act_rms/hidden" in line]
    assert measured == [10, 20, 30, 40]
    line = lines[9]
    for role in ROLES:
        assert line[f"act_rms/{role}"] > 0 and line[f"update_rms/{role}"] > 0
        assert line[f"act_change_rms/{role}"] > 0
    for group in ("attn.query", "attn.key_value", "attn.proj", "mlp.up", "mlp.down"):
        assert line[f"sigma_max/{group}"] > 0
    # One layer; the entropy of an attention row is at most log(seq_len).
    assert 0 < line["attn_entropy_min/0"] <= line["attn_entropy_mean/0"] < 3.5
    assert line["tokens_per_s"] > 0 and line["flops_per_s"] > line["tokens_per_s"]
    # Turned off, nothing is measured.
    train(tiny(eval={"diagnostics_every": 0}), tmp_path / "off")
    assert not any("act_rms/hidden" in line for line in metrics(tmp_path / "off"))


def test_feature_change_counts_from_the_initial_weights(tiny, tmp_path):
    """act_change_rms is how far each role's outputs on a fixed probe have moved since
    initialisation: nothing when nothing trains, and growing as training goes on."""
    frozen = {"kind": "phases", "phases": [{"steps": 1.0, "start": 0.0, "end": 0.0}]}
    train(tiny(schedule=frozen, eval={"diagnostics_every": 10}), tmp_path / "still")
    still = [line for line in metrics(tmp_path / "still") if "act_change_rms/hidden" in line]
    assert len(still) == 4
    assert all(line[f"act_change_rms/{role}"] == 0.0 for line in still for role in ROLES)

    train(tiny(eval={"diagnostics_every": 10}), tmp_path / "moving")
    hidden = [line["act_change_rms/hidden"] for line in metrics(tmp_path / "moving")
              if "act_change_rms/hidden" in line]
    assert 0 < hidden[0] < hidden[-1]


def test_update_rms_follows_the_per_role_learning_rate(tiny, tmp_path):
    """Adam's update is about lr per entry, so muP's hidden LR / 4 shows in the update size."""
    config = tiny(model={"width": 128, "head_dim": 32}, parametrization={"kind": "mup"},
                  optimizer={"grad_clip": 0}, budget={"steps": 1}, eval={"every": 1})
    train(config, tmp_path)
    line = metrics(tmp_path)[0]
    assert line["lr/hidden"] == pytest.approx(line["lr"] / 4)
    ratio = line["update_rms/hidden"] / line["update_rms/readout"]
    assert 0.15 < ratio < 0.35


def test_schedule_sets_each_steps_lr(tiny, tmp_path):
    train(tiny(schedule={"kind": "linear", "warmup": 10}, optimizer={"lr": 0.02}), tmp_path)
    lrs = [line["lr"] for line in metrics(tmp_path)]
    assert lrs[0] == pytest.approx(0.002) and lrs[9] == pytest.approx(0.02)
    assert lrs[-1] == 0.0


def test_same_config_and_seed_give_the_same_numbers(tiny, tmp_path):
    def numbers(config, out):
        train(config, out)
        return [{k: v for k, v in line.items() if k not in ("time_s", "tokens_per_s",
                                                           "flops_per_s")}
                for line in metrics(out)]

    first = numbers(tiny(), tmp_path / "a")
    assert numbers(tiny(), tmp_path / "b") == first
    assert numbers(tiny(seed=1), tmp_path / "c") != first


def test_non_finite_loss_ends_the_run_as_diverged(tiny, tmp_path):
    summary = train(tiny(optimizer={"lr": 1e6, "grad_clip": 0},
                         stability={"max_loss_ratio": 0}), tmp_path)
    assert summary["status"] == "diverged"
    lines = metrics(tmp_path)
    assert summary["diverged_at"] == summary["steps"] == lines[-1]["step"] < 40
    assert summary["final"] == {}
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "diverged"


def test_a_loss_past_the_ratio_of_the_first_ends_the_run_as_diverged(tiny, tmp_path):
    config = tiny(optimizer={"lr": 3.0, "grad_clip": 0}, stability={"max_loss_ratio": 1.5})
    summary = train(config, tmp_path)
    lines = metrics(tmp_path)
    assert summary["status"] == "diverged"
    assert lines[-1]["train_loss"] > 1.5 * lines[0]["train_loss"]
    assert all(line["train_loss"] <= 1.5 * lines[0]["train_loss"] for line in lines[:-1])


def test_an_exception_is_recorded_as_failed(tiny, tmp_path, monkeypatch):
    real = Batches.train_batch

    def broken(self, seed, step, *args):
        if step == 5:
            raise RuntimeError("disk on fire")
        return real(self, seed, step, *args)

    monkeypatch.setattr(Batches, "train_batch", broken)
    summary = train(tiny(), tmp_path)
    assert summary["status"] == "failed"
    assert summary["error"] == "RuntimeError: disk on fire"
    assert "train_batch" in summary["traceback"]
    assert summary["steps"] == 5 and len(metrics(tmp_path)) == 5


def test_a_schedule_that_does_not_fit_fails_with_a_clear_error(tiny, tmp_path):
    summary = train(tiny(schedule={"kind": "wsd", "warmup": 30, "decay": 20}), tmp_path)
    assert summary["status"] == "failed"
    assert "do not fit in the run (40 steps)" in summary["error"]


def test_rerun_without_a_checkpoint_starts_over(tiny, tmp_path):
    (tmp_path / "metrics.jsonl").write_text('{"step": 1, "train_loss": 9.0}\n{"step": 2, "tr')
    (tmp_path / "summary.json").write_text('{"status": "failed"}')
    train(tiny(budget={"steps": 3}), tmp_path)
    assert [line["step"] for line in metrics(tmp_path)] == [1, 2, 3]
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "completed"


def test_stopping_leaves_a_checkpoint_and_the_next_start_resumes(tiny, tmp_path):
    """What SIGTERM does; the kill -9 test (test_runtime_resume.py) covers the hard way."""
    config = tiny(eval={"every": 10, "diagnostics_every": 5})
    stop = threading.Event()
    seen = []

    def stop_at_20(record):
        seen.append(record["step"])
        if record["step"] == 20:
            stop.set()

    first = train(config, tmp_path / "run", on_eval=stop_at_20, stop=stop)
    assert first["status"] == "unfinished" and first["steps"] == 21
    assert not (tmp_path / "run" / "summary.json").exists()
    assert (tmp_path / "run" / "ckpt" / "step-00000021.pt").exists()

    resumed = train(config, tmp_path / "run")
    assert resumed["status"] == "completed" and resumed["resumed_at"] == 21
    straight = train(config, tmp_path / "straight")
    assert resumed["final"] == straight["final"]
    timing = ("time_s", "tokens_per_s", "flops_per_s")
    resumed_lines, straight_lines = metrics(tmp_path / "run"), metrics(tmp_path / "straight")
    assert [{k: v for k, v in line.items() if k not in timing} for line in resumed_lines] == \
        [{k: v for k, v in line.items() if k not in timing} for line in straight_lines]
    assert not list((tmp_path / "run" / "ckpt").iterdir())  # a finished run keeps none


def test_main_trains_a_job_into_the_results_tree(tiny, tmp_path, capsys):
    config = tiny(budget={"steps": 4}, eval={"every": 2})
    job = tmp_path / "job.json"
    job.write_text(config.model_dump_json())
    assert main([str(job), "--results", str(tmp_path / "results")]) == 0
    assert read_summary(tmp_path / "results", config.run_id())["status"] == "completed"
    assert len(list(iter_metrics(tmp_path / "results", config.run_id()))) == 4
    out = capsys.readouterr().out
    assert f"{config.run_id()} step 2/4 train" in out and "completed after 4 steps" in out


def test_main_rejects_a_bad_job_without_a_traceback(tmp_path, capsys):
    job = tmp_path / "job.json"
    job.write_text('{"model": {"width": 30, "head_dim": 16}}')
    assert main([str(job), "--results", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "cannot read job" in err and "multiple of head_dim" in err
    assert main([str(tmp_path / "missing.json")]) == 1


@pytest.mark.slow
@pytest.mark.parametrize("launcher", [
    [sys.executable, "-m", "runtime.train"],
    [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1",
     "-m", "runtime.train"],
], ids=["python", "torchrun"])
def test_command_line_run(tiny, tmp_path, launcher):
    config = tiny(budget={"steps": 10}, eval={"every": 5})
    job = tmp_path / f"{config.run_id()}.json"
    job.write_text(config.model_dump_json())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLAIMLAB_RESULTS": str(tmp_path / "results")}
    done = subprocess.run([*launcher, str(job)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "completed after 10 steps" in done.stdout
    summary = json.loads((run_dir(tmp_path / "results", config.run_id()) / "summary.json")
                         .read_text())
    assert summary["status"] == "completed" and summary["steps"] == 10
