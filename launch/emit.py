"""Writing a plan to disk, so the directory mirrors the plan:

    <out>/plan.json          the plan: spec name, and each run's id, overrides and config
    <out>/jobs/<id>.json     each run's RunConfig, what `runtime.train` reads
    <out>/launch.sh          runs the jobs in plan order with torchrun
    <out>/<spec>.sbatch      the same as a Slurm job array (write_slurm, for --target slurm);
                             with stages, <spec>.level-<k>.sbatch, one array per level,
                             and submit.sh, which submits them in order
    <out>/logs/              where the arrays' tasks log

Readers see a whole file or none: plan.json, the scripts and a job file that changed are
replaced atomically, and a job file new to the folder (created, or a stale one renamed to it)
is written before plan.json names it; plan.json is written last. Job files of runs no longer in
the plan are removed.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import orjson

from compiler.planning.plan import Plan
from launch.launch_sh import launch_script
from launch.slurm import slurm_files
from launch.slurm_submit import slurm_jobs


def write_plan(plan: Plan, out_dir: str | Path) -> None:
    out = Path(out_dir)
    jobs = out / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    planned_json = plan.to_json()  # each run's config dumped once, for its job and the plan
    _write_jobs(jobs, {f"{run['id']}.json": _json(run["config"]) for run in planned_json["runs"]})
    _write_atomic(out / "launch.sh", launch_script(plan).encode(), executable=True)
    _write_atomic(out / "plan.json", _json(planned_json))


def _write_jobs(jobs: Path, files: dict[str, bytes]) -> None:
    """Make `jobs` hold exactly `files` (name -> content).

    A grid's job files are most of what compiling it writes (10,000 for a 10,000-run grid),
    and on ext4 the kernel's work of creating a file (finding a free inode, slow near files
    deleted in the last minutes) is most of that, at 10-300 us a file. So a file already there
    with the same bytes is left alone (a run's id names its config, so recompiling mostly finds
    them so), one whose content changed (its run's `execution` settings, say) is replaced
    atomically, and a new one takes over the file of a run no longer planned where there is
    one (linked to the new name, which fails rather than replace a file, then unlinked from the
    old) and is created exclusively where there is none; the job files left over are removed.
    """
    # Straight system calls, names relative to the folder's descriptor, and as few as can be.
    folder = os.open(jobs, os.O_RDONLY | os.O_DIRECTORY)
    try:
        there = {name for name in os.listdir(folder) if name.endswith(".json")}
        stale = [name for name in there if name not in files]
        reusable = stale.copy()
        for name, data in files.items():
            if name in there:
                _refresh(jobs / name, data)
                continue
            fd = _reused(folder, reusable, name) if reusable else None
            if fd is None:
                try:
                    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666,
                                 dir_fd=folder)
                except FileExistsError:   # written since by another compile of this folder
                    _refresh(jobs / name, data)
                    continue
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
        for name in stale:   # those reused are gone already
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name, dir_fd=folder)
    finally:
        os.close(folder)


def _refresh(path: Path, data: bytes) -> None:
    """A job file already there holds `data` afterwards: left alone when it does."""
    if _read(path) != data:
        _write_atomic(path, data)


def _reused(folder: int, reusable: list[str], name: str) -> int | None:
    """One of the `reusable` stale job files renamed to `name` and opened emptied for writing,
    or None when none can be: `name` was made meanwhile, or this filesystem has no hard links
    (then none is tried again)."""
    old = reusable.pop()
    try:
        os.link(old, name, src_dir_fd=folder, dst_dir_fd=folder)
    except FileExistsError:
        reusable.append(old)
        return None
    except OSError:
        reusable.clear()
        return None
    with contextlib.suppress(FileNotFoundError):   # removed by another compile meanwhile
        os.unlink(old, dir_fd=folder)
    return os.open(name, os.O_WRONLY | os.O_TRUNC, dir_fd=folder)


def _write_all(fd: int, data: bytes) -> None:
    written = 0
    while written < len(data):   # one call, but for a write the kernel cuts short
        written += os.write(fd, memoryview(data)[written:])


def _read(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:   # removed since, by another compile of a smaller plan
        return None


def write_slurm(plan: Plan, out_dir: str | Path, results: str | Path) -> tuple[list[Path], str]:
    """Write the plan's Slurm scripts (after write_plan) and the directory their tasks log
    to; returns the scripts' paths and the command that submits them. Paths in them are
    absolute: Slurm runs copies of the array scripts."""
    out = Path(out_dir).absolute()
    (out / "logs").mkdir(parents=True, exist_ok=True)
    jobs = slurm_jobs(plan, out, Path(results).absolute())
    for name, text in jobs.files.items():
        _write_atomic(out / name, text.encode(), executable=True)
    # A script of an earlier compile (a level the plan no longer has, or the single array of
    # a plan that has since gained stages) would submit runs out of order or out of date.
    for name in slurm_files(out, plan) - set(jobs.files):
        (out / name).unlink()
    return [out / name for name in jobs.files], jobs.command


def _json(data: Any) -> bytes:
    # orjson, not json: the standard library indents with its pure-Python encoder, which took
    # 85% of compiling a 10,000-run grid. Non-finite numbers never get here: a run's id is
    # hashed from its config by json with allow_nan=False while the plan is built.
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def _write_atomic(path: Path, data: bytes, executable: bool = False) -> None:
    """Readers see the old file or the new one, never half of one.

    No fsync: a plan is cheap to write again, and syncing each of thousands of job files
    would make compiling slow.
    """
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    if executable:
        tmp.chmod(0o755)
    os.replace(tmp, path)
