"""The results layout: what a run leaves behind, and how to read it back.

    <results>/runs/<run_id>/config.json     the RunConfig that ran
    <results>/runs/<run_id>/metrics.jsonl   one JSON object per logged step, appended as it goes
    <results>/runs/<run_id>/summary.json    written once at the end (atomically)
    <results>/runs/<run_id>/ckpt/step-<N>.pt  checkpoints (training/checkpoint.py): the newest
                                            until the run finishes, and those other runs
                                            start from; one that cannot be read is set
                                            aside as step-<N>.pt.corrupt
    <results>/runs/<run_id>/lease           the lock of whoever is training the run
                                            (runtime/lease.py)

`summary.json` has at least: `id`, `status` (completed | diverged | failed), `steps` (the last
step trained, counted across a chain of stages), `tokens`, `wall_time_s`, `final` (metric name
-> value, e.g. `val_loss`, `train_loss`), plus `diverged_at` (the step) when diverged and
`error` when failed. Runs trained by the runtime add `tokens_per_s`, `flops_per_token`,
`flops_per_s`, `n_params`, `optimizer_state_bytes`, `device`, `world_size`, `metrics_bytes`
(the length of metrics.jsonl when the summary was written, so that a log cut or changed later
is found) and `notes` (what was wrong with what an earlier attempt left), and on GPUs `mfu` and
`peak_memory_bytes`. A run directory without a summary is unfinished (running, or killed).

A result file that is not what it should be (cut short, emptied, not the JSON it must be, a
metrics log that changed after its summary was written) raises CorruptResult when read, whose
message names the file and what to do; the run then counts as not trained, so it is trained
again.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

STATUSES = ("completed", "diverged", "failed")
# A run with one of these results is done: running it again would reproduce the same result.
# `failed` is not among them: a failure may be the machine's fault, so it is retried.
FINISHED = ("completed", "diverged")

_CHECKPOINT = re.compile(r"step-(\d+)\.pt")

SUMMARY, METRICS, CONFIG = "summary.json", "metrics.jsonl", "config.json"


class CorruptResult(Exception):
    """A result file that is not what it should be; `str()` names it, says what is wrong
    and what to do."""

    def __init__(self, path: Path, problem: str):
        self.path, self.problem = Path(path), problem
        super().__init__(f"{path}: {problem}; the run counts as not trained: `claimlab run` "
                         "trains it again, and `claimlab verify --repair` first sets the "
                         "broken files aside")


def run_dir(results: str | os.PathLike, run_id: str) -> Path:
    return Path(results) / "runs" / run_id


def checkpoint_dir(run: Path) -> Path:
    return run / "ckpt"


def checkpoint_path(run: Path, step: int) -> Path:
    return checkpoint_dir(run) / f"step-{step:08d}.pt"


def checkpoint_steps(run: Path) -> list[int]:
    """The steps that have a checkpoint in run directory `run`, in order."""
    found = (_CHECKPOINT.fullmatch(p.name) for p in checkpoint_dir(run).glob("step-*.pt"))
    return sorted(int(match.group(1)) for match in found if match)


def read_summary(results: str | os.PathLike, run_id: str) -> dict[str, Any] | None:
    """The run's summary, or None when it has not finished (or never started); raises
    CorruptResult when the summary, or the metrics log it vouches for, is broken."""
    return load_summary(run_dir(results, run_id), run_id)


def load_summary(run: Path, run_id: str | None = None) -> dict[str, Any] | None:
    """The summary in run folder `run` (of run `run_id`, when given), as read_summary()."""
    path = Path(run) / SUMMARY
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptResult(path, f"not a readable JSON file ({_reason(error)})") from None
    problem = _summary_problem(data, run_id)
    if problem:
        raise CorruptResult(path, problem)
    _check_metrics_length(Path(run), data)
    return data


def _summary_problem(data: Any, run_id: str | None) -> str | None:
    if not isinstance(data, dict):
        return f"expected a JSON object, found {type(data).__name__}"
    if data.get("status") not in STATUSES:
        return f"expected a status ({', '.join(STATUSES)}), found {data.get('status')!r}"
    if run_id is not None and data.get("id") != run_id:
        return f"it is the summary of run {data.get('id')!r}, not of {run_id}"
    final = data.get("final", {})
    if not isinstance(final, dict) or not all(
            value is None or type(value) in (int, float) for value in final.values()):
        return "expected `final` to map metric names to numbers"
    if not all(type(data.get(key, 0)) in (int, float) for key in ("steps", "tokens")):
        return "expected `steps` and `tokens` to be numbers"
    return None


def _check_metrics_length(run: Path, summary: dict[str, Any]) -> None:
    expected = summary.get("metrics_bytes")
    if expected is None:
        return
    path = run / METRICS
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = None
    if size != expected:
        found = "is missing" if size is None else f"has {size:,} bytes"
        raise CorruptResult(path, f"it {found} where the run's summary recorded "
                                  f"{expected:,}: it was cut short or changed after the run "
                                  "finished")


def finished(run: Path, run_id: str, keep: Iterable[int] = ()) -> dict[str, Any] | None:
    """The summary of the run in folder `run` when it has a result that training again would
    only reproduce: it diverged, or it completed and still has the checkpoints of the steps
    in `keep` (those other runs start from). None otherwise; raises CorruptResult."""
    summary = load_summary(run, run_id)
    if summary is None or summary["status"] not in FINISHED:
        return None
    have = set(checkpoint_steps(run))
    if summary["status"] == "completed" and not set(keep) <= have:
        return None
    return summary


def run_status(results: str | os.PathLike, run_id: str) -> str:
    """completed | diverged | failed | unfinished | missing; raises CorruptResult."""
    summary = read_summary(results, run_id)
    if summary is not None:
        return summary["status"]
    return "unfinished" if run_dir(results, run_id).exists() else "missing"


def iter_metrics(results: str | os.PathLike, run_id: str) -> Iterator[dict[str, Any]]:
    """The run's metric records in order. A torn last line (a killed writer) is skipped; any
    other line that is not a JSON object raises CorruptResult."""
    return read_metrics(run_dir(results, run_id) / METRICS)


def read_metrics(path: Path) -> Iterator[dict[str, Any]]:
    """The records of the metrics log at `path`, as iter_metrics()."""
    try:
        f = path.open("rb")
    except FileNotFoundError:
        return
    with f:
        for number, line in enumerate(f, start=1):
            if not line.endswith(b"\n"):
                break
            try:
                record = json.loads(line)
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise CorruptResult(path, f"line {number} is not JSON "
                                          f"({_reason(error)})") from None
            if not isinstance(record, dict) or type(record.get("step")) is not int:
                raise CorruptResult(path, f"line {number} is not a step's record")
            yield record


def _reason(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return "cut short" if error.pos >= len(error.doc) else f"{error.msg} at byte {error.pos}"
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 at byte {error.start}"
    return getattr(error, "strerror", None) or str(error)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)   # a full disk leaves the old file and no half of a new one
        raise
