"""What `--target slurm` writes for a plan, and the command that submits it.

A plan whose runs all start from scratch is one job array, submitted with `sbatch`. A plan
with stages is one array per level (launch/slurm.py) and `submit.sh`, which submits them in
order, each with `--dependency=afterok:<the job id of the level before>`, read from
`sbatch --parsable`.

Why arrays per level: a run's parent is in an earlier array at another index, so `aftercorr`
(task i after task i) would pair the wrong tasks; and per-task dependencies
(`afterok:<job>_<task>`) would need an array per parent, whose `%` limits add up instead of
bounding the plan. With one array per level a single array runs at a time, its `%` limit is
the plan's, and there are as many `sbatch` calls as levels. The price: a level waits for every
run of the level before, and a run that fails after its retries holds back every later level.
Slurm then cancels them (`--kill-on-invalid-dep=yes`) rather than leaving them pending for
good; submitting again resumes the plan, finished runs skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler.planning.plan import Plan, PlannedRun
from compiler.planning.stages import levels
from launch.slurm import SUBMIT_NAME, Level, sbatch_name, sbatch_script, shell_word

_HEADER = """\
#!/usr/bin/env bash
# Submits the {count} run(s) of spec {spec} as {levels} Slurm job arrays, one per level: the
# runs of a level start from checkpoints of runs of the level before, so Slurm holds each
# array until the one before has succeeded, and cancels it if that one fails. Finished runs
# are skipped, so submitting again resumes the plan. Submit from a shell where claimlab is
# installed (the jobs inherit its environment).
set -euo pipefail

plan_dir={plan_dir}
# `sbatch --parsable` prints the job id, or id;cluster.
"""

_LEVEL = """\
job=$(sbatch --parsable{held} "$plan_dir/{script}")
level{number}=${{job%%;*}}
echo "level {number}, {count} run(s): job $level{number}{note}"
"""


@dataclass(frozen=True)
class SlurmJobs:
    files: dict[str, str]       # file name in the plan directory -> its text
    command: str                # the command that submits them


def slurm_jobs(plan: Plan, plan_dir: Path, results: Path) -> SlurmJobs:
    """The Slurm files of `plan`, to be written to `plan_dir` (absolute), training into
    `results` (absolute)."""
    grouped = levels(plan.runs)
    if len(grouped) <= 1:
        name = sbatch_name(plan)
        return SlurmJobs({name: sbatch_script(plan, plan_dir, results)},
                         f"sbatch {shell_word(str(plan_dir / name))}")
    files = {sbatch_name(plan, number): sbatch_script(plan, plan_dir, results,
                                                      Level(number, len(grouped), runs))
             for number, runs in enumerate(grouped, start=1)}
    files[SUBMIT_NAME] = _submit_script(plan, plan_dir, grouped)
    return SlurmJobs(files, shell_word(str(plan_dir / SUBMIT_NAME)))


def _submit_script(plan: Plan, plan_dir: Path, grouped: Sequence[Sequence[PlannedRun]]) -> str:
    parts = [_HEADER.format(count=len(plan.runs), spec=plan.spec, levels=len(grouped),
                            plan_dir=shell_word(str(plan_dir)))]
    for number, runs in enumerate(grouped, start=1):
        before = f"$level{number - 1}"
        held, note = "", ""
        if number > 1:
            held = f' --dependency="afterok:{before}" --kill-on-invalid-dep=yes'
            note = f", held until job {before} has succeeded"
        parts.append(_LEVEL.format(held=held, script=sbatch_name(plan, number), number=number,
                                   count=len(runs), note=note))
    return "".join(parts)
