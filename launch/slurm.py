"""A plan's runs as Slurm job arrays, one array task per run.

A plan without stages is one array, `<spec>.sbatch`, submitted with `sbatch`. A plan with
stages is one array per level, `<spec>.level-<k>.sbatch`: level 1 holds the runs that start
from no other run, level k+1 the runs that start from a checkpoint of a level-k run, and
`submit.sh` (launch/slurm_submit.py) submits them in order, each held until the one before
has succeeded. A task of a later level trains its run only when the run it starts from has
completed.

Each task runs `srun torchrun` on its own nodes: on one node with torchrun's standalone
rendezvous, on several with a c10d rendezvous on the task's first node under an id unique to
the run and attempt. A task that fails is requeued (`--requeue`) up to the spec's
`resources.retries` times and resumes from the run's checkpoint. A task near its time limit
is warned (`--signal`), stops its run at a checkpoint and is requeued without counting as a
failure. A run already completed or diverged is skipped, so submitting again resumes the plan.

Everything the script holds that a user chose (paths, account, partition) is quoted for the
parser that reads it: `#SBATCH` lines with sbatch's own rules (double quotes, backslash
escapes), the body with the shell's (backslash escapes). Run ids are hex digits.
"""

from __future__ import annotations

import re
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
# This task's failed attempts, one line each, beside its log.
failures=$plan_dir/logs/${{SLURM_JOB_NAME}}_${{SLURM_ARRAY_JOB_ID}}_${{SLURM_ARRAY_TASK_ID}}.failures
echo "run $run: task $SLURM_ARRAY_TASK_ID of job $SLURM_ARRAY_JOB_ID, attempt $((attempt + 1))"

{finished}
if finished; then
  echo "run $run has finished; nothing to do"
  exit 0
fi
{start_check}
# Slurm sends USR1 to this script {stop_before} s before the time limit (--signal), or up to a
# minute sooner. The run is then asked to stop with a SIGTERM to the job's steps (srun would
# turn one sent to it into a SIGKILL): it checkpoints after its current step, and the task is
# requeued to resume it. That is not a failure: each time limit reached adds steps.
out_of_time=0
trap 'out_of_time=1; scancel --signal=TERM "$SLURM_JOB_ID" || :' USR1
{train} &
training=$!
status=0
# The trap interrupts `wait`: wait on until srun has ended.
wait "$training" || status=$?
while kill -0 "$training" 2>/dev/null; do
  status=0
  wait "$training" || status=$?
done

if finished; then
  exit 0
fi
if ((out_of_time)); then
  echo "run $run stopped at its time limit: requeued to resume from its checkpoint"
  scontrol requeue "${{SLURM_ARRAY_JOB_ID}}_${{SLURM_ARRAY_TASK_ID}}"
else
  echo "exit $status" >>"$failures"
  failed=$(wc -l <"$failures")
  if ((failed <= max_retries)); then
    echo "run $run did not finish (exit $status): requeued, retry $failed of $max_retries" >&2
    scontrol requeue "${{SLURM_ARRAY_JOB_ID}}_${{SLURM_ARRAY_TASK_ID}}"
  fi
fi
exit $((status == 0 ? 1 : status))
"""

# How a task trains its run: under the run's lease, waiting for any other launcher that holds
# it (--wait), so that a task ends when its run has.
# One node: torchrun's own rendezvous on a free local port. Ports chosen per task would
# collide between arrays, whose task i share an index.
_TRAIN_ON_ONE_NODE = """\
srun --nodes=1 --ntasks-per-node=1 torchrun --standalone --nproc_per_node={procs} \\
  -m runtime.train "$plan_dir/jobs/$run.json" --results "$results" --wait"""

# Several nodes: a c10d rendezvous on the first, at a port from the task's own job id: tasks
# that run at the same time have different ids, so (short of ids 1000 apart) different ports.
_TRAIN_ON_NODES = """\
mapfile -t nodes < <(scontrol show hostnames "$SLURM_JOB_NODELIST")
port=$(({port} + SLURM_JOB_ID % 1000))
srun --nodes={nodes} --ntasks-per-node=1 torchrun \\
  --nnodes={nodes} --nproc_per_node={procs} \\
  --rdzv_backend=c10d --rdzv_endpoint="${{nodes[0]}}:$port" \\
  --rdzv_id="$run-$SLURM_JOB_ID-$attempt" \\
  -m runtime.train "$plan_dir/jobs/$run.json" --results "$results" --wait"""


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
_RUNS = re.compile(r"^runs=\(\n((?:  [0-9a-f]+\n)*)\)$", re.MULTILINE)

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


def array_runs(script: str) -> list[str]:
    """The run ids of an array script's tasks, in task order: task i trains run i."""
    found = _RUNS.search(script)
    if found is None:
        raise ValueError("not a claimlab array script: it has no runs=( ... ) table")
    return found.group(1).split()


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
    procs = max(1, resources.gpus_per_node)
    train = (_TRAIN_ON_ONE_NODE.format(procs=procs) if resources.nodes == 1 else
             _TRAIN_ON_NODES.format(port=resources.port, nodes=resources.nodes, procs=procs))
    body = _BODY.format(
        plan_dir=shell_word(str(plan_dir)), results=shell_word(str(results)),
        retries=resources.retries, runs="\n".join(f"  {run.id}" for run in runs),
        stop_before=resources.stop_before, train=train, **staged)
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
    """The runs `run` reads (RunConfig.needs: the one it starts from first, ensemble
    members, the run a refined schedule reads), then the runs those read, and so on."""
    found: list[str] = []
    frontier = [need.run for need in run.config.needs()]
    while frontier:
        found += [ancestor for ancestor in dict.fromkeys(frontier) if ancestor not in found]
        frontier = [need.run for ancestor in frontier if ancestor in by_id
                    for need in by_id[ancestor].config.needs()]
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
    options += [f"--time={r.time}", f"--signal=B:USR1@{r.stop_before}"]
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
