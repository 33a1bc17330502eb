"""The worker processes of the local pool (launch/local.py): each imports torch once and
trains job after job, and dies with the command that started it.

A worker must not outlive `claimlab run`: killed or not, an orphan would go on training (and
holding its run's lease) with nobody to report to. On Linux the kernel sends it SIGKILL when
its parent ends (PR_SET_PDEATHSIG); a watch thread that checks the parent every second covers
other systems and the moment before the request was made. What it was training resumes from
its newest checkpoint the next time.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from typing import Any

_PR_SET_PDEATHSIG = 1   # from <linux/prctl.h>


def init_worker(threads: int, parent: int) -> None:
    """Run once in each worker as it starts: tie it to `parent`, size torch's thread pool."""
    _die_with(parent)
    import torch

    torch.set_num_threads(threads)
    # The runtime's modules too (about a second on top of torch's few): the worker is ready
    # to train before its first job comes, while `claimlab run` is still reading the plan.
    import runtime.train  # noqa: F401


def ready() -> None:
    """A task that does nothing: submitted to start a worker before there is a job for it."""


def train_job(job_path: str, results: str, wait: bool) -> dict[str, Any]:
    """Train one job in this worker: runtime.train.train() under the run's lease, returning
    its summary (with `skipped` when it was finished or held by another process)."""
    from runtime.config.run import load_job
    from runtime.results import run_dir
    from runtime.train import train

    config = load_job(job_path)
    return train(config, run_dir(results, config.run_id()), wait=wait)


def _die_with(parent: int) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:     # it ended before the request above was made
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGKILL)
