"""Results archives: finished runs packed into one compressed file, and merged back.

An archive is how results travel: committed beside the catalog's specs so a clean clone
reports without training, and carried between a cluster and a laptop. It is a tar file
compressed with xz holding, for each finished run (completed or diverged),

    runs/<run_id>/config.json    the RunConfig that ran
    runs/<run_id>/summary.json   its summary
    runs/<run_id>/metrics.jsonl  its metrics log

and nothing else: checkpoints stay behind (they are for resuming, and a finished run does not
resume), and failed runs too (a failure is retried, not shared). Packing the same runs again
gives the same bytes (sorted members, no times or owners), so a committed archive changes in
git only when its results do.

Merging is the inverse, and reads the archive as untrusted input: members must be regular
files with exactly those names under a run id, the total size is bounded, each run must be
whole and its summary readable (runtime/results.py), and each run lands atomically (written
beside the results folder's runs, then renamed into place). A run the results folder already
has finished is kept as it is; an archive run that differs from it is reported as a conflict,
never overwritten. An unfinished run folder (killed, no summary) is replaced, unless a process
holds its lease (runtime/lease.py): a run being trained is left to its trainer.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from runtime import lease
from runtime.results import CONFIG, FINISHED, METRICS, SUMMARY, CorruptResult, load_summary

RUN_FILES = (CONFIG, SUMMARY, METRICS)
_RUN_ID = re.compile(r"[0-9a-f]{12}")
# Uncompressed size an archive may expand to: far above the catalog's few MB, far below
# what could fill a disk.
MAX_EXPANDED_BYTES = 4 << 30


class ArchiveError(Exception):
    """An archive that cannot be packed or merged; the message names it and what to do."""


@dataclass
class Packed:
    runs: list[str] = field(default_factory=list)        # run ids packed
    skipped: list[str] = field(default_factory=list)     # why a run was left out, one line each


@dataclass
class Merged:
    added: list[str] = field(default_factory=list)       # runs the results folder did not have
    unchanged: list[str] = field(default_factory=list)   # the same finished run was there
    conflicts: list[str] = field(default_factory=list)   # a different finished run was there
    busy: list[str] = field(default_factory=list)        # being trained here now: left alone


def pack(results: Path, archive: Path, run_ids: Iterable[str] | None = None) -> Packed:
    """Pack the finished runs of `results` (those among `run_ids`, when given) into `archive`,
    replacing it atomically."""
    runs_dir = Path(results) / "runs"
    wanted = sorted(set(run_ids)) if run_ids is not None else sorted(
        p.name for p in runs_dir.glob("*") if p.is_dir() and _RUN_ID.fullmatch(p.name))
    packed = Packed()
    members: list[tuple[str, bytes]] = []
    for run_id in wanted:
        run = runs_dir / run_id
        problem = _unpackable(run, run_id)
        if problem:
            packed.skipped.append(f"{run_id}: {problem}")
            continue
        for name in RUN_FILES:
            members.append((f"runs/{run_id}/{name}", (run / name).read_bytes()))
        packed.runs.append(run_id)
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=archive.parent, prefix=f".{archive.name}.",
                                     delete=False) as tmp:
        try:
            with tarfile.open(fileobj=tmp, mode="w:xz", preset=9) as tar:
                for name, data in members:
                    tar.addfile(_member(name, len(data)), io.BytesIO(data))
            tmp.flush()
            os.fsync(tmp.fileno())
        except BaseException:
            os.unlink(tmp.name)
            raise
    os.replace(tmp.name, archive)
    return packed


def merge(archive: Path, results: Path) -> Merged:
    """Merge the runs in `archive` into `results` (see the module's docstring)."""
    runs = _read(Path(archive))
    runs_dir = Path(results) / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    merged = Merged()
    for run_id, files in sorted(runs.items()):
        target = runs_dir / run_id
        try:
            existing = load_summary(target, run_id)
        except CorruptResult:
            existing = None  # broken files are not a result: the archive's whole run replaces them
        if existing is not None and existing["status"] in FINISHED:
            same = all((target / name).is_file() and (target / name).read_bytes() == data
                       for name, data in files.items())
            (merged.unchanged if same else merged.conflicts).append(run_id)
            continue
        if target.exists() and lease.held_by(target):
            merged.busy.append(run_id)
            continue
        _place(runs_dir, run_id, files)
        merged.added.append(run_id)
    return merged


def _unpackable(run: Path, run_id: str) -> str | None:
    try:
        summary = load_summary(run, run_id)
    except CorruptResult as error:
        return error.problem
    if summary is None:
        return "not finished"
    if summary["status"] not in FINISHED:
        return f"{summary['status']}, not a result to share"
    missing = [name for name in RUN_FILES if not (run / name).is_file()]
    return f"missing {', '.join(missing)}" if missing else None


def _member(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _read(archive: Path) -> dict[str, dict[str, bytes]]:
    """The archive's runs, file name -> bytes, after checking every member."""
    remedy = "pack it again with `claimlab pack`"
    runs: dict[str, dict[str, bytes]] = {}
    expanded = 0
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for member in tar:
                parts = member.name.split("/")
                if (not member.isfile() or len(parts) != 3 or parts[0] != "runs"
                        or not _RUN_ID.fullmatch(parts[1]) or parts[2] not in RUN_FILES):
                    raise ArchiveError(f"{archive}: unexpected member {member.name!r} (an "
                                       "archive holds runs/<run id>/ with "
                                       f"{', '.join(RUN_FILES)} only); {remedy}")
                expanded += member.size
                if expanded > MAX_EXPANDED_BYTES:
                    raise ArchiveError(f"{archive}: expands to more than "
                                       f"{MAX_EXPANDED_BYTES:,} bytes; {remedy}")
                extracted = tar.extractfile(member)
                assert extracted is not None  # a regular file, checked above
                runs.setdefault(parts[1], {})[parts[2]] = extracted.read()
    except FileNotFoundError:
        raise ArchiveError(f"{archive}: no such archive") from None
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ArchiveError(f"{archive}: not a readable results archive ({error}); "
                           f"{remedy}") from None
    for run_id, files in runs.items():
        missing = [name for name in RUN_FILES if name not in files]
        if missing:
            raise ArchiveError(f"{archive}: run {run_id} lacks {', '.join(missing)}; {remedy}")
        _check_run(archive, run_id, files)
    return runs


def _check_run(archive: Path, run_id: str, files: dict[str, bytes]) -> None:
    """The run's files are what they claim: its summary reads (and vouches for its metrics
    log), and its config is a JSON object."""
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp)
        for name, data in files.items():
            (run / name).write_bytes(data)
        try:
            summary = load_summary(run, run_id)
            config = json.loads(files[CONFIG])
        except CorruptResult as error:
            raise ArchiveError(f"{archive}: run {run_id}'s {error.path.name}: "
                               f"{error.problem}") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ArchiveError(f"{archive}: run {run_id}'s {CONFIG} is not JSON") from None
    if not isinstance(config, dict) or summary is None or summary["status"] not in FINISHED:
        raise ArchiveError(f"{archive}: run {run_id} is not a finished run")


def _place(runs_dir: Path, run_id: str, files: dict[str, bytes]) -> None:
    """Write the run beside the others, then rename it into place: a reader sees no run or
    the whole run."""
    staging = Path(tempfile.mkdtemp(dir=runs_dir, prefix=f".{run_id}.merge-"))
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        target = runs_dir / run_id
        if target.exists():
            # An unfinished or broken run: set aside, then removed once the new one is in.
            old = runs_dir / f".{run_id}.replaced-{os.getpid()}"
            os.replace(target, old)
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
