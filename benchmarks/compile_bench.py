"""How long compiling a 10,000-run grid takes, and `plan --diff` on it.

    python benchmarks/compile_bench.py [--repeat N]

Builds a spec of 10,000 runs (4 widths x 25 learning rates x 5 weight decays x 4 depths x
5 seeds) in a temporary git repository, commits it, changes it (the base's step budget:
every run changes), and times, as the best of N repeats:

- baseline:   validating the same 10,000 configs with pydantic and hashing their run ids,
              the work no compiler can skip (measured here, so ratios hold on any machine);
- compile:    compile_spec, from the YAML text to a validated, sorted plan;
- 10,000 files: creating 10,000 files of a job file's size in a new folder beside the plans,
              with bare system calls: what the filesystem alone costs the command here and now
              (on ext4 it varies tenfold with how many files were deleted nearby lately);
- command:    `claimlab compile SPEC` as a user runs it, in a fresh process (imports
              included, from cached bytecode as an installed package has it), the plan and its
              10,000 job files written: into a new folder, and again over the folder it wrote
              (the spec edited, every run changed); its CPU seconds are the command's own;
- plan diff:  what `claimlab plan SPEC --diff HEAD --format markdown` does: compile the spec at
              HEAD (read through git) and in the working tree, pair the runs, render the comment.

Targets on the 2-core CPU machine: the command <= 2 s, plan diff <= 3 s.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from claimlab.plan_diff import DiffReport, render_diff
from claimlab.plan_table import Rate
from compiler import compile_spec
from compiler.language.files import GitFiles
from compiler.planning.diff import diff_plans
from compiler.planning.estimate import DEFAULT_PEAK_FLOPS, DEFAULT_UTILISATION
from runtime.config.run import RunConfig

ROOT = Path(__file__).resolve().parents[1]
SPEC = """\
name: bench-10k
base:
  model: {width: 64, head_dim: 16}
  budget: {steps: STEPS}
sweep:
  grid:
    model.width: [32, 64, 128, 256]
    optimizer.lr: {logspace: [1.0e-4, 1.0e-1, 25]}
    optimizer.weight_decay: [0.0, 0.01, 0.1, 0.3, 1.0]
    model.depth: [1, 2, 3, 4]
  seeds: [0, 1, 2, 3, 4]
"""
TARGETS = {"command, new": 2.0, "command, again": 2.0, "plan diff": 3.0}


def best_of(repeat: int, work: Callable[[], object]) -> tuple[float, float, float]:
    """The wall-clock, user CPU and system CPU seconds of the fastest of `repeat` runs (CPU
    time is what the work costs when other processes share the machine; system time is
    mostly the kernel creating files): this process's own, or for a command the command's
    (git's, run by plan diff, is in neither)."""
    best = (math.inf, 0.0, 0.0)
    for _ in range(repeat):
        wall, before = time.perf_counter(), os.times()
        command = work() is COMMAND
        wall, after = time.perf_counter() - wall, os.times()
        if command:
            cpu = (after.children_user - before.children_user,
                   after.children_system - before.children_system)
        else:
            cpu = (after.user - before.user, after.system - before.system)
        best = min(best, (wall, *cpu))
    return best


COMMAND = object()   # what a step that runs the command returns


def compile_command(spec: Path, out: Path, pycache: Path) -> object:
    # Bytecode cached (in a folder of its own, not the tree) even where the environment says
    # not to write it: a user's installed claimlab has it.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(pycache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "claimlab", "compile", str(spec), "--out", str(out),
                    "--results", str(spec.parent / "results")],
                   cwd=spec.parent, env=env, check=True, capture_output=True)
    return COMMAND


def create_files(folder: Path, count: int, size: int) -> None:
    os.mkdir(folder)
    data = b"x" * size
    for index in range(count):
        fd = os.open(folder / f"{index:012x}.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        os.write(fd, data)
        os.close(fd)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.org",
                    *args], cwd=repo, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to make the temporary repository and its plans "
                             "(default: the system's temporary folder)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        repo = Path(tmp)
        spec = repo / "spec.yaml"
        spec.write_text(SPEC.replace("STEPS", "200"))
        git(repo, "init", "-q")
        git(repo, "add", "spec.yaml")
        git(repo, "commit", "-q", "-m", "spec")
        spec.write_text(SPEC.replace("STEPS", "400"))

        compiled = compile_spec(spec)
        configs = [run.config.model_dump() for run in compiled.plan.runs]
        runs = len(configs)

        def baseline() -> None:
            for data in configs:
                RunConfig.model_validate(data).run_id()

        def plan_diff() -> str:
            old = compile_spec(spec, files=GitFiles.at("HEAD", spec))
            new = compile_spec(spec)
            diff = diff_plans(old.plan, new.plan)
            report = DiffReport(spec=spec, old_label="HEAD", diff=diff, results=repo / "results",
                                rate=Rate(DEFAULT_PEAK_FLOPS, DEFAULT_UTILISATION))
            return render_diff(report, "markdown")

        assert len(diff_plans(compile_spec(spec, files=GitFiles.at("HEAD", spec)).plan,
                              compiled.plan).changed) == runs
        # Each a folder that never existed: removing one of 10,000 files would slow the
        # next creations nearby (ext4 passes over inodes freed in the last minutes).
        folders = (repo / f"plans-{index}" for index in range(10**6))
        pycache = repo / "pycache"
        compile_command(spec, next(folders), pycache)   # writes the bytecode
        job_size = max(path.stat().st_size for path in (repo / "plans-0" / "jobs").iterdir())
        out = next(folders)
        steps = iter(range(1000, 10**6))

        def over_the_last() -> object:   # every run changed: every job file new, every old gone
            spec.write_text(SPEC.replace("STEPS", str(next(steps))))
            return compile_command(spec, out, pycache)

        timings = {"baseline": best_of(args.repeat, baseline),
                   "compile": best_of(args.repeat, lambda: compile_spec(spec)),
                   "10,000 files": best_of(args.repeat, lambda: create_files(
                       next(folders), runs, job_size)),
                   "command, new": best_of(args.repeat, lambda: compile_command(
                       spec, next(folders), pycache)),
                   "command, again": best_of(args.repeat, over_the_last),
                   "plan diff": best_of(args.repeat, plan_diff)}

    load = ", ".join(f"{before:.2f} -> {after:.2f}"
                     for before, after in zip(load_before, os.getloadavg(), strict=True))
    print(f"{runs} runs, best of {args.repeat}; load average (1, 5, 15 min) {load}")
    print(f"{'step':<15} {'wall s':>7} {'user s':>7} {'sys s':>7} {'x baseline':>11} "
          f"{'target':>8}")
    base_wall = timings["baseline"][0]
    for name, (wall, user, system) in timings.items():
        target = f"{TARGETS[name]:.1f} s" if name in TARGETS else ""
        print(f"{name:<15} {wall:7.2f} {user:7.2f} {system:7.2f} {wall / base_wall:11.2f} "
              f"{target:>8}")


if __name__ == "__main__":
    main()
