"""A sweep's run configs are put together from parts validated once each
(compiler/planning/sweep_configs.py). They must be the configs and ids that validating each
run whole gives, the job files must be what the runtime reads, and a run that only a
combination of swept values makes invalid must still be reported where it was written."""

from types import SimpleNamespace

import pytest

from compiler import compile_spec
from compiler.language.errors import SpecError
from compiler.planning.sweep_configs import NOT_READ_ACROSS_SECTIONS
from launch import write_plan
from runtime.config.base import identity_exclusions
from runtime.config.run import RunConfig, canonical_json, load_job, run_id

# Every kind of part: sections swept and not, a budget in tokens (turned into steps by
# RunConfig's own validator, per batch size), a field that enters ids only when set, a
# negative zero (hashed as 0.0), schedules of two kinds and seeds.
GRID = """\
name: many-parts
base:
  model: {width: 32, depth: 1, head_dim: 16, seq_len: 16}
  data: {batch_size: 2}
  budget: {tokens: 6400}
  schedule: {kind: cosine, warmup: 0.1}
sweep:
  grid:
    model.width: [32, 64]
    model.qk_norm: [false, true]
    data.batch_size: [2, 4]
    optimizer.weight_decay: [-0.0, 0.1]
    schedule.kind: [cosine, wsd]
  seeds: [0, 1]
"""

# Only the runs with batch 2 and 40 steps start the second phase after their last step.
PHASE_PAST_THE_END = """\
name: phase-past-the-end
base:
  model: {width: 32, depth: 1, head_dim: 16, seq_len: 16}
  data:
    sources: {a: {kind: builtin, name: stdlib-prose}}
    phases:
      first: {mix: {a: 1.0}}
      second: {start: {tokens: 1600}, mix: {a: 1.0}}
sweep:
  grid: {budget.steps: [100, 40], data.batch_size: [8, 2], optimizer.lr: [0.01, 0.1]}
  seeds: [0, 1]
"""


def test_each_run_is_the_config_and_id_validating_it_whole_gives(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(GRID)
    plan = compile_spec(spec).plan
    assert len(plan.runs) == 64
    assert {run.config.budget.steps for run in plan.runs} == {200, 100}
    for run in plan.runs:
        whole = RunConfig.model_validate_json(run.config.model_dump_json())
        assert whole == run.config
        # The id as it is defined: the whole config's dump, hashed at once; and the text
        # written field by field, as a sweep's runs are hashed, is the same.
        text = canonical_json(whole.model_dump(mode="json", exclude=identity_exclusions(whole)))
        assert whole.canonical_json({}) == text
        assert run.id == run_id(whole)
    out = tmp_path / "plan"
    write_plan(plan, out)
    for run in plan.runs:
        job = load_job(str(out / "jobs" / f"{run.id}.json"))
        assert job == run.config
        assert job.run_id() == run.id


def test_a_combination_that_fails_run_configs_own_validator_is_reported_where_written(
        tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(PHASE_PAST_THE_END)
    with pytest.raises(SpecError) as error:
        compile_spec(spec)
    [problem] = error.value.problems
    assert str(problem).startswith(f"{spec}:10:30: sweep.grid.budget.steps[1]: ")
    assert "data.phases.second starts at step 50, after the run's last step (39" in str(problem)
    assert "data.batch_size = 2" in str(problem)


def test_run_configs_own_validators_read_no_field_they_are_not_rerun_for():
    """RunConfig's validators run once per combination of the fields outside
    NOT_READ_ACROSS_SECTIONS; one that read a field inside it would miss runs."""
    config = RunConfig()
    read: set[str] = set()

    class Traced:
        def __getattr__(self, name):
            read.add(name)
            return getattr(config, name)

    class TracedData(dict):
        def get(self, name, default=None):
            read.add(name)
            return super().get(name, default)

        def __getitem__(self, name):
            read.add(name)
            return super().__getitem__(name)

    decorators = RunConfig.__pydantic_decorators__
    assert decorators.model_validators and decorators.field_validators
    for decorator in decorators.model_validators.values():
        assert decorator.info.mode == "after", "trace this kind of validator here too"
        decorator.func(Traced())
    for decorator in decorators.field_validators.values():
        assert decorator.info.mode == "after", "trace this kind of validator here too"
        for field in decorator.info.fields:
            read.add(field)
            data = TracedData({name: getattr(config, name) for name in RunConfig.model_fields})
            decorator.func(getattr(config, field), SimpleNamespace(data=data))
    assert {"model", "data", "budget"} <= read
    assert read & NOT_READ_ACROSS_SECTIONS == set()
