"""The Slurm emitter: one sbatch job array per plan, or with stages one per level and a script
that submits them in order, each held on the one before; checked by shellcheck and `bash -n`,
safe for paths and names with spaces, quotes, `$` and `;`, and run under a stand-in for Slurm
to see each task train its run, skip a finished one, requeue a failed one, and train a run
only once the run it starts from has completed."""

from __future__ import annotations

import itertools
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compiler import compile_spec
from launch import write_plan
from launch.emit import write_slurm

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

# Three levels: pretrain runs, update runs that start from them, decay runs that start from
# the updates.
STAGED = """\
name: slurm-stages
base: {model: {width: 32, head_dim: 16}, budget: {steps: 10}}
stages:
  - name: pretrain
  - name: update
    budget: {steps: 5}
  - name: decay
    parent: update
    at: 12
    budget: {steps: 2}
sweep:
  grid: {optimizer.lr: [0.001, 0.01], stages.update.optimizer.lr: [0.0001, 0.0003]}
resources: {array_limit: 2, retries: 1, account: ACCOUNT}
"""

# Stand-ins for Slurm and torchrun: each logs how it was called. sbatch logs its arguments
# apart (by \x1f) and prints job ids 1001, 1002, ... with a cluster name, as --parsable does
# in a federation, or fails on call number $SBATCH_FAIL_AT. torchrun writes the run's summary
# and the checkpoints of $CKPT_STEPS the way runtime.train does, or fails when $FAIL is set,
# or with $STOPPABLE trains until a SIGTERM stops it, as runtime.train stops at a checkpoint;
# scancel sends it that SIGTERM.
FAKES = {
    "sbatch": """\
(IFS=$'\\x1f'; echo "sbatch$IFS$*") >> "$LOG"
calls=$(grep -c '^sbatch' "$LOG")
[ "$calls" != "${SBATCH_FAIL_AT:-}" ] || exit 1
echo "$((1000 + calls));cluster-a"
""",
    "scontrol": """\
echo "scontrol $*" >> "$LOG"
if [ "$1 $2" = "show hostnames" ]; then printf 'node1\\nnode2\\n'; fi
""",
    "scancel": """\
echo "scancel $*" >> "$LOG"
kill -TERM "$(cat "$LOG.training")"
""",
    "srun": """\
echo "srun $*" >> "$LOG"
while [[ $1 == --* ]]; do shift; done
exec "$@"
""",
    "torchrun": """\
echo "torchrun $*" >> "$LOG"
[ -z "${FAIL:-}" ] || exit 3
if [ -n "${STOPPABLE:-}" ]; then
  trap 'echo "stopped by SIGTERM" >> "$LOG"; exit 143' TERM
  echo $$ > "$LOG.training"
  echo "training" >> "$LOG"
  while :; do sleep 0.05; done
fi
while [ $# -gt 0 ]; do
  case "$1" in --results) results=$2; shift ;; *.json) job=$1 ;; esac
  shift
done
run=$(basename "$job" .json)
mkdir -p "$results/runs/$run/ckpt"
for step in ${CKPT_STEPS:-}; do
  : > "$results/runs/$run/ckpt/step-$(printf %08d "$step").pt"
done
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
    (script,), command = write_slurm(plan, plan_dir, results)
    assert shlex.split(command) == ["sbatch", str(script)]
    return script, results, plan


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
    script, _, _plan = emitted
    options = sbatch_options(script)
    assert options == [
        "--job-name=claimlab-slurm-demo", "--array=0-2%2", "--nodes=2", "--ntasks-per-node=1",
        "--gpus-per-node=4", "--cpus-per-task=32", "--mem=64G", "--time=1-12:00:00",
        "--signal=B:USR1@120", f"--account={NASTY}", "--partition=gpu,gpu-long", "--requeue",
        "--open-mode=append",
        f"--output={script.parent / 'logs'}".replace("%", "%%") + "/%x_%A_%a.log",
    ]
    assert (script.parent / "logs").is_dir()
    assert os.access(script, os.X_OK)


def under_fakes(command: list[str], tmp_path: Path, **env: str) -> tuple[int, list[str], str]:
    """Run `command` with the stand-ins first on PATH: its exit code, the stand-ins' calls
    and what it printed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in FAKES.items():
        (bin_dir / name).write_text("#!/usr/bin/env bash\n" + body)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "slurm.log"
    log.unlink(missing_ok=True)
    done = subprocess.run(command, check=False, cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
                               "LOG": str(log), **env})
    calls = log.read_text().splitlines() if log.exists() else []
    return done.returncode, calls, done.stdout + done.stderr


def task_env(task: int) -> dict[str, str]:
    """What Slurm tells task `task` of array job 77, whose own job id is 1234."""
    return {"SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_JOB_ID": "77", "SLURM_JOB_ID": "1234",
            "SLURM_JOB_NAME": "claimlab-test", "SLURM_JOB_NODELIST": "node[1-2]"}


def run_task(script: Path, tmp_path: Path, task: int, **env: str) -> tuple[int, list[str], str]:
    return under_fakes(["bash", str(script)], tmp_path, **task_env(task), **env)


def test_each_task_trains_its_run_over_a_c10d_rendezvous(emitted, tmp_path):
    script, results, plan = emitted
    run = plan.runs[1]
    code, calls, _ = run_task(script, tmp_path, 1)
    assert code == 0
    # The port comes from the task's own job id (1234), which no other task on the cluster
    # has: the array index repeats across arrays sharing a node.
    assert calls == [
        "scontrol show hostnames node[1-2]",
        "srun --nodes=2 --ntasks-per-node=1 torchrun --nnodes=2 --nproc_per_node=4 "
        "--rdzv_backend=c10d --rdzv_endpoint=node1:29734 "
        f"--rdzv_id={run.id}-1234-0 -m runtime.train "
        f"{script.parent / 'jobs' / run.id}.json --results {results} --wait",
        "torchrun --nnodes=2 --nproc_per_node=4 --rdzv_backend=c10d "
        f"--rdzv_endpoint=node1:29734 --rdzv_id={run.id}-1234-0 -m runtime.train "
        f"{script.parent / 'jobs' / run.id}.json --results {results} --wait",
    ]
    assert json.loads((results / "runs" / run.id / "summary.json").read_text()) == \
        {"status": "completed"}
    # Submitted again, the task finds its run finished and trains nothing.
    code, calls, _ = run_task(script, tmp_path, 1)
    assert (code, calls) == (0, [])


def test_a_failed_task_is_requeued_until_its_retries_are_spent(emitted, tmp_path):
    script, _, plan = emitted
    code, calls, printed = run_task(script, tmp_path, 0, FAIL="1")
    assert code == 3
    assert calls[-1] == "scontrol requeue 77_0"
    assert "did not finish (exit 3): requeued, retry 1 of 1" in printed
    code, calls, _ = run_task(script, tmp_path, 0, FAIL="1", SLURM_RESTART_COUNT="1")
    assert code == 3
    assert f"--rdzv_id={plan.runs[0].id}-1234-1" in calls[1]
    assert not any(call.startswith("scontrol requeue") for call in calls)
    failures = script.parent / "logs" / "claimlab-test_77_0.failures"
    assert failures.read_text() == "exit 3\nexit 3\n"


def test_a_task_warned_of_its_time_limit_stops_its_run_and_is_requeued(emitted, tmp_path):
    """Slurm's warning (USR1 to the script) stops the run, which checkpoints and exits; the
    task is requeued whatever its failures, as the run made progress."""
    script, _, _ = emitted
    failures = script.parent / "logs" / "claimlab-test_77_0.failures"
    failures.write_text("exit 3\n")  # the one retry the spec allows is spent
    log = tmp_path / "slurm.log"
    under_fakes(["true"], tmp_path)  # writes the stand-ins
    task = subprocess.Popen(
        ["bash", str(script)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env={**os.environ, **task_env(0), "LOG": str(log), "STOPPABLE": "1",
                        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"})
    deadline = time.monotonic() + 30
    while "training" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline and task.poll() is None
        time.sleep(0.05)
    task.send_signal(signal.SIGUSR1)
    printed, _ = task.communicate(timeout=30)
    assert task.returncode == 143
    assert log.read_text().splitlines()[-3:] == [
        "scancel --signal=TERM 1234", "stopped by SIGTERM", "scontrol requeue 77_0"]
    assert "stopped at its time limit: requeued to resume from its checkpoint" in printed
    assert failures.read_text() == "exit 3\n"


def test_the_script_refuses_to_run_outside_slurm(emitted, tmp_path):
    script, _, _ = emitted
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if not k.startswith("SLURM")})
    assert done.returncode != 0
    assert "submit this script with sbatch" in done.stderr


def test_compile_target_slurm_takes_resources_from_flags(tmp_path, monkeypatch, capsys):
    from claimlab.main import main
    (tmp_path / "spec.yaml").write_text(SPEC.replace("ACCOUNT", "lab"))
    monkeypatch.chdir(tmp_path)
    assert main(["compile", "spec.yaml", "--target", "slurm", "--account", "1234",
                 "--gpus-per-node", "8", "--time", "90", "--array-limit", "10"]) == 0
    script = tmp_path / "build" / "plans" / "slurm-demo" / "slurm-demo.sbatch"
    out = capsys.readouterr().out
    assert str(script) in out
    # A plan without stages is one array, submitted with one sbatch call.
    assert out.splitlines()[-1] == f"submit with: sbatch {script}"
    assert sorted(p.name for p in script.parent.iterdir() if p.is_file()) == \
        ["launch.sh", "plan.json", "slurm-demo.sbatch"]
    options = sbatch_options(script)
    assert {"--account=1234", "--gpus-per-node=8", "--time=90", "--array=0-2%10"} <= set(options)
    assert "--nproc_per_node=8" in script.read_text()
    assert main(["compile", "spec.yaml", "--target", "slurm", "--time", "soon"]) == 2
    assert capsys.readouterr().err.strip() == (
        "--set:1:16: resources.time: expected a Slurm time like 90 (minutes), 04:00:00 or "
        "2-00:00:00, found 'soon'")


@pytest.fixture
def staged(tmp_path: Path) -> tuple[list[Path], str, Path, list[list]]:
    """A plan with stages written for Slurm: its scripts, the command that submits it, the
    results directory and its runs by level."""
    (tmp_path / "spec.yaml").write_text(STAGED.replace("ACCOUNT", json.dumps(NASTY)))
    plan = compile_spec(tmp_path / "spec.yaml").plan
    plan_dir = tmp_path / NASTY / "plan"
    write_plan(plan, plan_dir)
    scripts, command = write_slurm(plan, plan_dir, tmp_path / NASTY / "results")
    by_stage = {stage: [run for run in plan.runs if run.stage == stage]
                for stage in ("pretrain", "update", "decay")}
    return scripts, command, tmp_path / NASTY / "results", list(by_stage.values())


def array_runs(script: Path) -> list[str]:
    text = script.read_text()
    return text[text.index("runs=(\n") + 7:text.index("\n)\n")].split()


def test_a_staged_plan_is_one_array_per_level_and_a_submit_script(staged):
    scripts, command, _, levels = staged
    plan_dir = scripts[0].parent
    assert [script.name for script in scripts] == [
        "slurm-stages.level-1.sbatch", "slurm-stages.level-2.sbatch",
        "slurm-stages.level-3.sbatch", "submit.sh"]
    assert shlex.split(command) == [str(plan_dir / "submit.sh")]
    for number, (script, runs) in enumerate(zip(scripts, levels), start=1):
        assert array_runs(script) == [run.id for run in runs]
        options = sbatch_options(script)
        assert f"--job-name=claimlab-slurm-stages.level-{number}" in options
        assert f"--array=0-{len(runs) - 1}%2" in options
        assert f"--account={NASTY}" in options and "--requeue" in options
    # Each run starts from a run of the level before.
    for parents, children in itertools.pairwise(levels):
        assert {run.config.start.run for run in children} <= {run.id for run in parents}
    assert all(os.access(script, os.X_OK) for script in scripts)


def test_the_staged_scripts_pass_shellcheck_and_bash_n(staged):
    scripts, _, _, _ = staged
    for script in scripts:
        subprocess.run(["bash", "-n", str(script)], check=True)
    if shutil.which("shellcheck"):
        subprocess.run(["shellcheck", "--shell=bash", *map(str, scripts)], check=True)


def test_the_submit_script_holds_each_level_on_the_one_before(staged, tmp_path):
    scripts, command, _, _ = staged
    code, calls, printed = under_fakes(["bash", "-c", command], tmp_path)
    assert code == 0, printed
    held = ["--kill-on-invalid-dep=yes"]
    assert [call.split("\x1f") for call in calls] == [
        ["sbatch", "--parsable", str(scripts[0])],
        ["sbatch", "--parsable", "--dependency=afterok:1001", *held, str(scripts[1])],
        ["sbatch", "--parsable", "--dependency=afterok:1002", *held, str(scripts[2])],
    ]
    assert printed.splitlines() == [
        "level 1, 2 run(s): job 1001",
        "level 2, 4 run(s): job 1002, held until job 1001 has succeeded",
        "level 3, 4 run(s): job 1003, held until job 1002 has succeeded",
    ]
    # A level that cannot be submitted stops the script: no later level goes in unheld.
    code, calls, _ = under_fakes(["bash", "-c", command], tmp_path, SBATCH_FAIL_AT="2")
    assert code != 0 and len(calls) == 2


def test_a_one_node_task_leaves_its_rendezvous_port_to_torchrun(staged, tmp_path):
    """Task i of two arrays sharing a node would collide on a port chosen from i: a one-node
    task uses torchrun's standalone rendezvous, which takes a free port."""
    scripts, _, results, levels = staged
    run = levels[0][0]
    code, calls, _ = run_task(scripts[0], tmp_path, 0, CKPT_STEPS="10")
    train = (f"torchrun --standalone --nproc_per_node=1 -m runtime.train "
             f"{scripts[0].parent / 'jobs' / run.id}.json --results {results} --wait")
    assert (code, calls) == (0, [f"srun --nodes=1 --ntasks-per-node=1 {train}", train])


def test_a_run_trains_only_once_the_run_it_starts_from_has_completed(staged, tmp_path):
    scripts, _, results, levels = staged
    child = levels[1][0]
    parent = child.config.start.run
    code, calls, printed = run_task(scripts[1], tmp_path, 0)
    assert (code, calls) == (1, [])  # failed, and not requeued: retrying cannot help
    assert f"run {child.id} starts from run {parent}, which has not completed" in printed
    write_summary(results, parent, "completed")
    code, calls, _ = run_task(scripts[1], tmp_path, 0, CKPT_STEPS="12")
    assert code == 0 and any(call.startswith("torchrun") for call in calls)


def test_runs_downstream_of_a_divergence_are_not_trained_and_do_not_fail(staged, tmp_path):
    scripts, _, results, levels = staged
    grandchild = levels[2][0]
    child = next(run for run in levels[1] if run.id == grandchild.config.start.run)
    write_summary(results, child.config.start.run, "diverged")
    for script, run in ((scripts[1], child), (scripts[2], grandchild)):
        task = array_runs(script).index(run.id)
        code, calls, printed = run_task(script, tmp_path, task)
        assert (code, calls) == (0, [])
        assert "which diverged: it is not trained" in printed


def test_a_finished_parent_without_a_kept_checkpoint_trains_again(staged, tmp_path):
    scripts, _, results, levels = staged
    parent = levels[0][0]
    assert parent.config.execution.keep_checkpoints == (10,)
    write_summary(results, parent.id, "completed")  # trained for a plan that kept nothing
    code, calls, _ = run_task(scripts[0], tmp_path, 0, CKPT_STEPS="10")
    assert code == 0 and any(call.startswith("torchrun") for call in calls)
    code, calls, _ = run_task(scripts[0], tmp_path, 0)
    assert (code, calls) == (0, [])
    # A diverged run is finished with or without checkpoints: it would diverge again.
    write_summary(results, levels[0][1].id, "diverged")
    code, calls, _ = run_task(scripts[0], tmp_path, 1)
    assert (code, calls) == (0, [])


def test_compiling_again_removes_the_scripts_of_the_other_shape(tmp_path):
    unstaged = STAGED.split("stages:")[0] + "resources: {array_limit: 2}\n"
    (tmp_path / "spec.yaml").write_text(STAGED.replace("ACCOUNT", "lab"))
    plan_dir, results = tmp_path / "plan", tmp_path / "results"

    def compile_and_write() -> set[str]:
        plan = compile_spec(tmp_path / "spec.yaml").plan
        write_plan(plan, plan_dir)
        write_slurm(plan, plan_dir, results)
        return {p.name for p in plan_dir.iterdir() if p.name.endswith((".sbatch", ".sh"))}

    staged_files = {"launch.sh", "submit.sh", *(f"slurm-stages.level-{k}.sbatch"
                                                for k in (1, 2, 3))}
    assert compile_and_write() == staged_files
    (tmp_path / "spec.yaml").write_text(unstaged)
    assert compile_and_write() == {"launch.sh", "slurm-stages.sbatch"}
    (tmp_path / "spec.yaml").write_text(STAGED.replace("ACCOUNT", "lab"))
    assert compile_and_write() == staged_files


def test_compile_tells_how_to_submit_a_staged_plan(tmp_path, monkeypatch, capsys):
    from claimlab.main import main
    (tmp_path / "spec.yaml").write_text(STAGED.replace("ACCOUNT", "lab"))
    monkeypatch.chdir(tmp_path)
    assert main(["compile", "spec.yaml", "--target", "slurm"]) == 0
    submit = tmp_path / "build" / "plans" / "slurm-stages" / "submit.sh"
    assert capsys.readouterr().out.splitlines()[-1] == f"submit with: {submit}"


def write_summary(results: Path, run_id: str, status: str) -> None:
    (results / "runs" / run_id).mkdir(parents=True, exist_ok=True)
    (results / "runs" / run_id / "summary.json").write_text(json.dumps({"status": status}))


def test_the_cluster_commands_say_so_when_slurm_is_not_installed(tmp_path):
    (tmp_path / "spec.yaml").write_text(SPEC.replace("ACCOUNT", "lab"))
    alone = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # no Slurm on it
    for command in (["run", "spec.yaml", "--target", "slurm"], ["status", "spec.yaml"],
                    ["cancel", "spec.yaml"]):
        done = subprocess.run([sys.executable, "-m", "claimlab", *command], cwd=tmp_path,
                              env=alone, capture_output=True, text=True, check=False)
        assert (done.returncode, done.stderr) == (1, (
            "slurm-demo: squeue not found: Slurm's commands are not installed here (run this "
            "on a machine that submits to the cluster)\n")), command
