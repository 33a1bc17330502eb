import math

import pytest
from report_synthetic import (
    Completed,
    evaluate,
    make_experiment,
    sweep_spec,
    transfer_loss,
    write_run,
)

from compiler.language.run_quantities import DERIVED
from report.checks.selection import matching, varying
from report.quantities import derived
from report.table import Curves, config_columns, runs_table
from runtime.config.run import RunConfig
from runtime.model.gpt import GPT


def ending(config):
    """One run of each status; the rest complete."""
    if config.parametrization.kind == "mup" and config.model.width == 1024:
        return {1e-4: None, 3e-4: "unfinished", 1e-3: "failed", 1e-1: "diverged"}.get(
            config.optimizer.lr, transfer_loss(config))
    return transfer_loss(config)


def test_one_row_per_planned_run_with_its_status_config_and_final_metrics(tmp_path):
    experiment = make_experiment(tmp_path, outcome=ending)
    table = runs_table(experiment.plan, experiment.results)

    assert list(table.id) == [run.id for run in experiment.plan.runs]
    assert list(table.columns[:2]) == ["id", "status"]
    assert {"model.width", "optimizer.lr", "parametrization.kind", "seed", "data.mix.code",
            "final.val_loss", "final.train_loss", "summary.diverged_at", "summary.error",
            "summary.n_params", "N", "D", "C", "tokens_per_param"} <= set(table.columns)
    assert table.status.value_counts().to_dict() == {
        "completed": len(table) - 4, "missing": 1, "unfinished": 1, "failed": 1, "diverged": 1}

    rows = table.set_index("id")
    for run in experiment.plan.runs:
        row = rows.loc[run.id]
        assert row["model.width"] == run.config.model.width
        assert row["optimizer.lr"] == run.config.optimizer.lr
        if row.status == "completed":
            assert row["final.val_loss"] == transfer_loss(run.config)
        else:
            assert math.isnan(row["final.val_loss"])
    assert rows[rows.status == "diverged"]["summary.diverged_at"].tolist() == [17]
    assert "out of memory" in rows[rows.status == "failed"]["summary.error"].item()


def test_list_values_are_hashable_tuples(tmp_path):
    experiment = make_experiment(tmp_path)
    table = runs_table(experiment.plan, experiment.results)
    assert table["optimizer.betas"].iloc[0] == (0.9, 0.95)
    assert table.groupby("optimizer.betas").ngroups == 1


def test_curves_are_read_when_first_asked_for(tmp_path):
    experiment = make_experiment(tmp_path, outcome=lambda config: None)
    curves = Curves(experiment.results)
    run, never_ran = experiment.plan.runs[:2]
    write_run(experiment.results, run, 2.5)      # written after Curves was made

    curve = curves[run.id]
    assert curve.step.tolist() == [0, 10, 20, 30, 40]
    assert curve.dropna(subset=["val_loss"]).step.tolist() == [0, 20, 40]
    assert curves[never_ran.id].empty


def test_run_quantities_are_known_for_every_planned_run(tmp_path):
    # N, D, C come from the config, so a run that never started has them too; a summary's
    # numbers only once the run has finished.
    experiment = make_experiment(tmp_path, outcome=ending)
    rows = runs_table(experiment.plan, experiment.results).set_index("id")
    for run in experiment.plan.runs:
        row, config = rows.loc[run.id], run.config
        tokens = config.budget.steps * config.data.batch_size * config.model.seq_len
        assert row["D"] == tokens
        assert row["C"] == pytest.approx(6 * row["N"] * tokens)
        assert row["tokens_per_param"] == pytest.approx(tokens / row["N"])
        finished = row.status in ("completed", "diverged", "failed")
        assert math.isnan(row["summary.tokens"]) != finished


@pytest.mark.parametrize("model", [{"width": 64, "depth": 2, "head_dim": 16},
                                   {"width": 96, "depth": 3, "head_dim": 32, "mlp_ratio": 2}])
def test_n_counts_the_parameters_outside_the_embeddings_and_readout(model):
    config = RunConfig.model_validate({"model": model})
    gpt = GPT(config.model, config.parametrization)
    roles = gpt.roles()
    blocks = sum(p.numel() for name, p in gpt.named_parameters()
                 if roles[name] not in ("embedding", "readout"))
    assert derived(config)["N"] == blocks
    assert derived(config).keys() == DERIVED.keys()


def test_how_a_run_was_executed_never_tells_runs_apart(tmp_path):
    # Runs that differ only in checkpointing are one config: `execution` is in the table
    # (the runs table on a page shows it) but is not a setting checks group by.
    spec = sweep_spec({"execution.checkpoint_every": [100, 200], "optimizer.lr": [1e-3, 1e-2]},
                      [{"id": "c", "statement": "s",
                        "check": {"kind": "ordering", "metric": "final.val_loss",
                                  "lower": {"optimizer.lr": 1e-2},
                                  "higher": {"optimizer.lr": 1e-3}}}])
    experiment = make_experiment(
        tmp_path, spec, lambda c: Completed({"val_loss": 3.0 - 100 * c.optimizer.lr}))
    table = runs_table(experiment.plan, experiment.results)
    assert "execution.checkpoint_every" in table
    assert not any(c.startswith("execution.") for c in config_columns(table))
    assert varying(table) == ["optimizer.lr"]
    assert [k for k in evaluate(experiment).numbers if k.startswith("gap")] == ["gap at all runs"]


def test_a_list_of_mappings_is_one_hashable_value_equal_to_what_the_spec_wrote(tmp_path):
    # A schedule of explicit phases: runs group by it, and a `where` naming it as plain
    # YAML mappings (every field written out) still picks them.
    phases = [{"steps": 10, "start": 0.0, "end": 1.0}, {"steps": 30, "start": 1.0, "end": 0.1}]
    spec = sweep_spec({"schedule": [{"kind": "constant"}, {"kind": "phases", "phases": phases}]},
                      [])
    experiment = make_experiment(tmp_path, spec, lambda c: 2.0)
    table = runs_table(experiment.plan, experiment.results)
    assert table.groupby("schedule.phases", dropna=False).ngroups == 2
    assert "schedule.phases" in varying(table)
    written = [dict(p, shape="linear", timescale=None, a=None, b=None) for p in phases]
    picked = matching(table, {"schedule.phases": written})
    assert list(picked["schedule.kind"]) == ["phases"]
