"""A plan's runs as Slurm job arrays, one array task per run.

A plan without stages is one array, `<spec>.sbatch`, submitted with `sbatch`. A plan with
stages is one array per level, `<spec>.level-<k>.sbatch`: level 1 holds the runs that start
from no other run, level k+1 the runs that start from a checkpoint of a level-k run, and
`submit.sh` (launch/slurm_submit.py) submits them in order, each held until the one before
has succeeded. A task of a later level trains its run only when the run it starts from has
completed.

Each task runs `srun torchrun` on its own nodes, with a c10d rendezvous on the task's first
node under an id unique to the run and attempt. A task that fails is requeued (`--requeue`)
up to the spec's `resources.retries` times and resumes from the run's checkpoint; a run
already completed or diverged is skipped, so submitting again resumes the plan.

Everything the script holds that a user chose (paths, account, partition) is quoted for the
parser that reads it: `#SBATCH` lines with sbatch's own rules (double quotes, backslash
escapes), the body with the shell's (backslash escapes). Run ids are hex digits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler.language.resources import Resources
from compiler.planning.plan import Plan, PlannedRun
from runtime.results import checkpoint_path

_BODY = """\
set -euo pipefail
: "${{SLURM_ARRAY_TASK_ID:?submit this script with sbatch}}"

plan_dir={plan_dir}
default_results={results}
results=${{CLAIMLAB_RESULTS:-$default_results}}
max_retries={retries}
runs=(
{runs}
)
{stage_tables}
run=${{runs[$SLURM_ARRAY_TASK_ID]}}
attempt=${{SLURM_RESTART_COUNT:-0}}
echo "run $run: task $SLURM_ARRAY_TASK_ID of job $SLURM_ARRAY_JOB_ID, attempt $((attempt + 1))"

{finished}
if finished; then
  echo "run $run has finished; nothing to do"
  exit 0
fi
{start_check}
mapfile -t nodes < <(scontrol show hostnames "$SLURM_JOB_NODELIST")
head_node=${{nodes[0]}}
# Runs that share a first node need different ports.
port=$(({port} + SLURM_ARRAY_TASK_ID % 1000))

status=0
srun --nodes={nodes} --ntasks-per-node=1 torchrun \\
  --nnodes={nodes} --nproc_per_node={procs} \\
  --rdzv_backend=c10d --rdzv_endpoint="$head_node:$port" \\
  --rdzv_id="$run-$SLURM_ARRAY_JOB_ID-$attempt" \\
  -m runtime.train "$plan_dir/jobs/$run.json" --results "$results" || status=$?

if finished; then
  exit 0
fi
if ((attempt < max_retries)); then
  echo "run $run did not finish (exit $status): requeued, retry $((attempt + 1))" >&2
  scontrol requeue "${{SLURM_ARRAY_JOB_ID}}_${{SLURM_ARRAY_TASK_ID}}"
fi
exit $((status == 0 ? 1 : status))
"""


# A plan without stages: a run has finished when its summary says so.
_FINISHED = """\
finished() {
  grep -Eqs '"status"[[:space:]]*:[[:space:]]*"(completed|diverged)"' \\
    "$results/runs/$run/summary.json"
}
"""

# What a level's tasks know of the stages, one row per task.
_STAGE_TABLES = """\
# The runs each task's run starts from, nearest first (its parent, the parent's parent, ...),
starts_from=(
{starts_from}
)
# and its own checkpoints that runs of later levels start from.
keeps=(
{keeps}
)
"""

_STAGE_FINISHED = """\
has_status() {
  grep -Eqs "\\"status\\"[[:space:]]*:[[:space:]]*\\"$2\\"" "$results/runs/$1/summary.json"
}

# Diverged, or completed with every checkpoint later levels start from: a completed run
# without one (trained for a plan that did not keep it) trains again, reproducing itself.
finished() {
  has_status "$run" diverged && return
  has_status "$run" completed || return 1
  local file
  for file in ${keeps[$SLURM_ARRAY_TASK_ID]}; do
    [[ -e $results/runs/$run/$file ]] || return 1
  done
}
"""

# Slurm starts a level once every task of the level before has exited 0: each run this one
# starts from has completed, diverged, or was not trained because a run it starts from
# diverged. A run downstream of a divergence can never train (runs are deterministic), so
# its task ends with 0 and later levels still run for the other runs. Any other missing
# parent (this script submitted by hand, say) fails the task, and requeueing could not help.
_START_CHECK = """
for ancestor in ${starts_from[$SLURM_ARRAY_TASK_ID]}; do
  if has_status "$ancestor" diverged; then
    echo "run $run starts from run $ancestor, which diverged: it is not trained"
    exit 0
  fi
done
parent=${starts_from[$SLURM_ARRAY_TASK_ID]%% *}
if [[ -n $parent ]] && ! has_status "$parent" completed; then
  echo "run $run starts from run $parent, which has not completed: it is not trained" >&2
  exit 1
fi
"""

_SAFE = frozenset("/._-+,:@=%")

SUBMIT_NAME = "submit.sh"


class SlurmPathError(ValueError):
    """A path the sbatch script cannot hold."""


@dataclass(frozen=True)
class Level:
    """One level of a plan with stages: its number (from 1), how many the plan has, and
    its runs."""
    number: int
    of: int
    runs: Sequence[PlannedRun]


def sbatch_name(plan: Plan, level: int | None = None) -> str:
    return f"{plan.spec}.sbatch" if level is None else f"{plan.spec}.level-{level}.sbatch"


def slurm_files(plan_dir: Path, plan: Plan) -> set[str]:
    """The names of the Slurm files of `plan`'s spec in `plan_dir`, from any compile."""
    found = {path.name for path in plan_dir.glob(f"{plan.spec}.level-*.sbatch")}
    return found | {name for name in (sbatch_name(plan), SUBMIT_NAME)
                    if (plan_dir / name).exists()}


def sbatch_script(plan: Plan, plan_dir: Path, results: Path, level: Level | None = None) -> str:
    """The array script for `plan`, or for one level of it, written to `plan_dir`
    (absolute), training into `results`."""
    resources = plan.resources
    runs = plan.runs if level is None else level.runs
    logs = str(plan_dir / "logs")
    for path in (logs, str(results)):
        if any(c in path for c in "\\\n"):
            raise SlurmPathError(f"a path in a Slurm script cannot hold a backslash or a "
                                 f"newline: {path!r}")
    header = [
        "#!/usr/bin/env bash",
        *_about(plan, len(runs), plan_dir, level),
        "# Results go to $CLAIMLAB_RESULTS (default below); each task logs to logs/ here.",
        *(f"#SBATCH {option}" for option in _directives(plan, len(runs), logs, level)),
        "", "",
    ]
    staged = {"stage_tables": "", "finished": _FINISHED, "start_check": ""}
    if level is not None:
        staged = {"stage_tables": _stage_tables(plan, level), "finished": _STAGE_FINISHED,
                  "start_check": _START_CHECK}
    body = _BODY.format(
        plan_dir=shell_word(str(plan_dir)), results=shell_word(str(results)),
        retries=resources.retries, runs="\n".join(f"  {run.id}" for run in runs),
        port=resources.port, nodes=resources.nodes, procs=max(1, resources.gpus_per_node),
        **staged)
    return "\n".join(header) + body


def _about(plan: Plan, count: int, plan_dir: Path, level: Level | None) -> list[str]:
    limit = plan.resources.array_limit
    if level is None:
        return [(f"# The {count} run(s) of spec {plan.spec} as a Slurm job array, one task per "
                 f"run, at most {limit} at once."),
                f"# Submit with: sbatch {shell_word(str(plan_dir / sbatch_name(plan)))}"]
    which = ("start from no other run" if level.number == 1 else
             f"start from a checkpoint of a level-{level.number - 1} run")
    return [(f"# Level {level.number} of {level.of} of spec {plan.spec}: the {count} run(s) "
             f"that {which}, as a Slurm job array, one task per run, at most {limit} at once."),
            (f"# Submit the plan with {shell_word(str(plan_dir / SUBMIT_NAME))}, which holds "
             "each level until the one before has succeeded.")]


def _stage_tables(plan: Plan, level: Level) -> str:
    by_id = {run.id: run for run in plan.runs}

    def rows(values: list[list[str]]) -> str:
        return "\n".join(f'  "{" ".join(words)}"' for words in values)

    # Checkpoint paths are made of digits, letters, `-`, `.` and `/`: no quoting needed.
    keeps = [[checkpoint_path(Path(), step).as_posix()
              for step in run.config.execution.keep_checkpoints] for run in level.runs]
    return _STAGE_TABLES.format(
        starts_from=rows([_ancestors(run, by_id) for run in level.runs]), keeps=rows(keeps))


def _ancestors(run: PlannedRun, by_id: Mapping[str, PlannedRun]) -> list[str]:
    found = []
    start = run.config.start
    while start is not None:
        found.append(start.run)
        start = by_id[start.run].config.start
    return found


def _directives(plan: Plan, count: int, logs: str, level: Level | None) -> list[str]:
    r: Resources = plan.resources
    job_name = "claimlab-" + plan.spec + ("" if level is None else f".level-{level.number}")
    options = [
        f"--job-name={_sbatch_quote(job_name)}",
        f"--array=0-{count - 1}%{r.array_limit}",
        f"--nodes={r.nodes}",
        "--ntasks-per-node=1",
    ]
    if r.gpus_per_node:
        options.append(f"--gpus-per-node={r.gpus_per_node}")
    if r.cpus_per_gpu:
        options.append(f"--cpus-per-task={r.cpus_per_gpu * max(1, r.gpus_per_node)}")
    if r.memory:
        options.append(f"--mem={r.memory}")
    options.append(f"--time={r.time}")
    for name in ("account", "partition", "qos"):
        value = getattr(r, name)
        if value is not None:
            options.append(f"--{name}={_sbatch_quote(value)}")
    # %x job name, %A array job id, %a task index; a literal % in the path is %%.
    output = _sbatch_quote(logs.replace("%", "%%") + "/%x_%A_%a.log")
    options += ["--requeue", "--open-mode=append", f"--output={output}"]
    return options


def shell_word(text: str) -> str:
    """`text` as one shell word that nothing in it expands in: each character that is not
    plainly safe is escaped with a backslash (the callers have refused newlines)."""
    return "".join(c if c.isalnum() or c in _SAFE else "\\" + c for c in text)


def _sbatch_quote(value: str) -> str:
    """`value` as one argument of an #SBATCH line: sbatch groups what is inside quotes and
    takes the character after a backslash as it is."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
