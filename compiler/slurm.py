"""`<spec>.sbatch`: a plan's runs as one Slurm job array, one array task per run.

Each task runs `srun torchrun` on its own nodes, with a c10d rendezvous on the task's first
node under an id unique to the run and attempt. A task that fails is requeued (`--requeue`)
up to the spec's `resources.retries` times and resumes from the run's checkpoint; a run
already completed or diverged is skipped, so submitting the script again resumes the plan.

Everything the script holds that a user chose (paths, account, partition) is quoted for the
parser that reads it: `#SBATCH` lines with sbatch's own rules (double quotes, backslash
escapes), the body with the shell's (backslash escapes). Run ids are hex digits.
"""

from __future__ import annotations

from pathlib import Path

from compiler.plan import Plan
from compiler.resources import Resources

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

run=${{runs[$SLURM_ARRAY_TASK_ID]}}
attempt=${{SLURM_RESTART_COUNT:-0}}
echo "run $run: task $SLURM_ARRAY_TASK_ID of job $SLURM_ARRAY_JOB_ID, attempt $((attempt + 1))"

finished() {{
  grep -Eqs '"status"[[:space:]]*:[[:space:]]*"(completed|diverged)"' \\
    "$results/runs/$run/summary.json"
}}

if finished; then
  echo "run $run has finished; nothing to do"
  exit 0
fi

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


_SAFE = frozenset("/._-+,:@=%")


class SlurmPathError(ValueError):
    """A path the sbatch script cannot hold."""


def sbatch_name(plan: Plan) -> str:
    return f"{plan.spec}.sbatch"


def sbatch_script(plan: Plan, plan_dir: Path, results: Path) -> str:
    """The script for `plan`, written to `plan_dir` (absolute), training into `results`."""
    resources = plan.resources
    logs = str(plan_dir / "logs")
    for path in (logs, str(results)):
        if any(c in path for c in "\\\n"):
            raise SlurmPathError(f"a path in a Slurm script cannot hold a backslash or a "
                                 f"newline: {path!r}")
    header = [
        "#!/usr/bin/env bash",
        f"# The {len(plan.runs)} run(s) of spec {plan.spec} as a Slurm job array, one task per "
        f"run, at most {resources.array_limit} at once.",
        f"# Submit with: sbatch {_shell_word(str(plan_dir / sbatch_name(plan)))}",
        "# Results go to $CLAIMLAB_RESULTS (default below); each task logs to logs/ here.",
        *(f"#SBATCH {option}" for option in _directives(plan, logs)),
        "", "",
    ]
    body = _BODY.format(
        plan_dir=_shell_word(str(plan_dir)), results=_shell_word(str(results)),
        retries=resources.retries, runs="\n".join(f"  {run.id}" for run in plan.runs),
        port=resources.port, nodes=resources.nodes, procs=max(1, resources.gpus_per_node))
    return "\n".join(header) + body


def _directives(plan: Plan, logs: str) -> list[str]:
    r: Resources = plan.resources
    options = [
        f"--job-name={_sbatch_quote('claimlab-' + plan.spec)}",
        f"--array=0-{len(plan.runs) - 1}%{r.array_limit}",
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


def _shell_word(text: str) -> str:
    """`text` as one shell word that nothing in it expands in: each character that is not
    plainly safe is escaped with a backslash (the callers have refused newlines)."""
    return "".join(c if c.isalnum() or c in _SAFE else "\\" + c for c in text)


def _sbatch_quote(value: str) -> str:
    """`value` as one argument of an #SBATCH line: sbatch groups what is inside quotes and
    takes the character after a backslash as it is."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
