"""The Slurm emitter: one sbatch job array per plan, checked by shellcheck and `bash -n`, safe
for paths and names with spaces, quotes, `$` and `;`, and run under a stand-in for Slurm to
see each task train its run, skip a finished one, and requeue a failed one."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from compiler import compile_spec, write_plan
from compiler.emit import write_slurm

SPEC = """\
name: slurm-demo
base: {model: {width: 32, head_dim: 16}, budget: {steps: 5}}
sweep:
  grid: {optimizer.lr: [0.001, 0.01, 0.1]}
resources:
  nodes: 2
  gpus_per_node: 4
  cpus_per_gpu: 8
  memory: 64G
  time: "1-12:00:00"
  account: ACCOUNT
  partition: gpu,gpu-long
  array_limit: 2
  retries: 1
"""
NASTY = """it's a "plan" $HOME; rm -rf ~ `id` 100%"""

# Stand-ins for Slurm and torchrun: each logs how it was called; torchrun writes the run's
# summary the way runtime.train does, or fails when $FAIL is set.
FAKES = {
    "scontrol": """\
echo "scontrol $*" >> "$LOG"
if [ "$1 $2" = "show hostnames" ]; then printf 'node1\\nnode2\\n'; fi
""",
    "srun": """\
echo "srun $*" >> "$LOG"
while [[ $1 == --* ]]; do shift; done
exec "$@"
""",
    "torchrun": """\
echo "torchrun $*" >> "$LOG"
[ -z "${FAIL:-}" ] || exit 3
while [ $# -gt 0 ]; do
  case "$1" in --results) results=$2; shift ;; *.json) job=$1 ;; esac
  shift
done
run=$(basename "$job" .json)
mkdir -p "$results/runs/$run"
echo '{"status": "completed"}' > "$results/runs/$run/summary.json"
""",
}


@pytest.fixture
def emitted(tmp_path: Path) -> tuple[Path, Path, object]:
    (tmp_path / "spec.yaml").write_text(SPEC.replace("ACCOUNT", json.dumps(NASTY)))
    plan = compile_spec(tmp_path / "spec.yaml").plan
    plan_dir = tmp_path / NASTY / "plan"
    results = tmp_path / NASTY / "results"
    write_plan(plan, plan_dir)
    return write_slurm(plan, plan_dir, results), results, plan


def sbatch_options(script: Path) -> list[str]:
    """The options of the #SBATCH lines, split the way sbatch splits them."""
    return [arg for line in script.read_text().splitlines() if line.startswith("#SBATCH ")
            for arg in shlex.split(line.removeprefix("#SBATCH "))]


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck is not installed")
def test_the_script_passes_shellcheck_and_bash_n(emitted):
    script, _, _ = emitted
    subprocess.run(["shellcheck", "--shell=bash", str(script)], check=True)
    subprocess.run(["bash", "-n", str(script)], check=True)


def test_directives_carry_the_resources_and_survive_any_name(emitted):
    script, _, plan = emitted
    options = sbatch_options(script)
    assert options == [
        "--job-name=claimlab-slurm-demo", "--array=0-2%2", "--nodes=2", "--ntasks-per-node=1",
        "--gpus-per-node=4", "--cpus-per-task=32", "--mem=64G", "--time=1-12:00:00",
        f"--account={NASTY}", "--partition=gpu,gpu-long", "--requeue", "--open-mode=append",
        f"--output={script.parent / 'logs'}".replace("%", "%%") + "/%x_%A_%a.log",
    ]
    assert (script.parent / "logs").is_dir()
    assert os.access(script, os.X_OK)


def run_task(script: Path, tmp_path: Path, task: int, **env: str) -> tuple[int, list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in FAKES.items():
        (bin_dir / name).write_text("#!/usr/bin/env bash\n" + body)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "slurm.log"
    log.unlink(missing_ok=True)
    done = subprocess.run(["bash", str(script)], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
                               "LOG": str(log), "SLURM_ARRAY_TASK_ID": str(task),
                               "SLURM_ARRAY_JOB_ID": "77", "SLURM_JOB_NODELIST": "node[1-2]",
                               **env})
    return done.returncode, log.read_text().splitlines() if log.exists() else []


def test_each_task_trains_its_run_over_a_c10d_rendezvous(emitted, tmp_path):
    script, results, plan = emitted
    run = plan.runs[1]
    code, calls = run_task(script, tmp_path, 1)
    assert code == 0
    assert calls == [
        "scontrol show hostnames node[1-2]",
        "srun --nodes=2 --ntasks-per-node=1 torchrun --nnodes=2 --nproc_per_node=4 "
        "--rdzv_backend=c10d --rdzv_endpoint=node1:29501 "
        f"--rdzv_id={run.id}-77-0 -m runtime.train "
        f"{script.parent / 'jobs' / run.id}.json --results {results}",
        "torchrun --nnodes=2 --nproc_per_node=4 --rdzv_backend=c10d "
        f"--rdzv_endpoint=node1:29501 --rdzv_id={run.id}-77-0 -m runtime.train "
        f"{script.parent / 'jobs' / run.id}.json --results {results}",
    ]
    assert json.loads((results / "runs" / run.id / "summary.json").read_text()) == \
        {"status": "completed"}
    # Submitted again, the task finds its run finished and trains nothing.
    code, calls = run_task(script, tmp_path, 1)
    assert (code, calls) == (0, [])


def test_a_failed_task_is_requeued_until_its_retries_are_spent(emitted, tmp_path):
    script, _, plan = emitted
    code, calls = run_task(script, tmp_path, 0, FAIL="1")
    assert code == 3
    assert calls[-1] == "scontrol requeue 77_0"
    code, calls = run_task(script, tmp_path, 0, FAIL="1", SLURM_RESTART_COUNT="1")
    assert code == 3
    assert f"--rdzv_id={plan.runs[0].id}-77-1" in calls[1]
    assert not any(call.startswith("scontrol requeue") for call in calls)


def test_the_script_refuses_to_run_outside_slurm(emitted, tmp_path):
    script, _, _ = emitted
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if not k.startswith("SLURM")})
    assert done.returncode != 0
    assert "submit this script with sbatch" in done.stderr


def test_compile_target_slurm_takes_resources_from_flags(tmp_path, monkeypatch, capsys):
    from cli.main import main
    (tmp_path / "spec.yaml").write_text(SPEC.replace("ACCOUNT", "lab"))
    monkeypatch.chdir(tmp_path)
    assert main(["compile", "spec.yaml", "--target", "slurm", "--account", "1234",
                 "--gpus-per-node", "8", "--time", "90", "--array-limit", "10"]) == 0
    script = tmp_path / "build" / "plans" / "slurm-demo" / "slurm-demo.sbatch"
    assert str(script) in capsys.readouterr().out
    options = sbatch_options(script)
    assert {"--account=1234", "--gpus-per-node=8", "--time=90", "--array=0-2%10"} <= set(options)
    assert "--nproc_per_node=8" in script.read_text()
    assert main(["compile", "spec.yaml", "--target", "slurm", "--time", "soon"]) == 2
    assert capsys.readouterr().err.strip() == (
        "--set:1:16: resources.time: expected a Slurm time like 90 (minutes), 04:00:00 or "
        "2-00:00:00, found 'soon'")
