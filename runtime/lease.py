"""A run's lease: whoever holds it is the one process that trains that run.

The lease is an exclusive flock(2) on the file `<run dir>/lease`, taken through an open file,
so the kernel gives it up when its holder ends in any way (it returns, raises, is killed with
SIGKILL, or its node is rebooted): there is never a stale lease to clean up. Every launcher
goes through it, because runtime/train.py takes it itself; two runners started on one plan,
a job array submitted twice or a forgotten worker therefore never train a run twice.

The file stays in the run folder when the lease is given up: removing it would let a process
that opened the old file and one that creates a new one both "hold" it. While held it says who
holds it (host, process id and since when), for the message of whoever finds it taken; it is
emptied on release.

flock(2) works on local disks and on NFS (Linux emulates it with byte-range locks there); on
Lustre it needs the `flock` mount option, without which taking a lease fails loudly.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typing.Self is Python 3.11+; claimlab runs on 3.10
    from typing import Self

LEASE_FILE = "lease"

# A process that finds the lease taken looks again for this long before it says so: a
# process that only checks whether a lease is held (`held_by`) takes it for an instant.
_SETTLE_S = 0.25


@dataclass(frozen=True)
class Holder:
    """Who holds a lease, as the holder wrote it down."""

    host: str
    pid: int
    since: float        # time.time() when it took the lease

    def __str__(self) -> str:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
        return f"process {self.pid} on {self.host} (since {started})"


class Lease:
    """A held lease; `release()`, or leaving its `with` block, gives it up."""

    def __init__(self, fd: int, path: Path):
        self._fd: int | None = fd
        self.path = path

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)   # closing the file is what unlocks it

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def lease_path(run: Path) -> Path:
    return Path(run) / LEASE_FILE


def take(run: Path) -> Lease | None:
    """The lease of run folder `run` (created if need be), or None when another process
    holds it. Waits a fraction of a second at most."""
    path = lease_path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    settle_until = time.monotonic() + _SETTLE_S
    while True:
        fd = _open(path)
        if _lock(fd, fcntl.LOCK_EX):
            _write_holder(fd)
            return Lease(fd, path)
        os.close(fd)
        if time.monotonic() > settle_until:
            return None
        time.sleep(0.02)


def wait(run: Path, *, stop: Callable[[], bool] | None = None,
         on_wait: Callable[[Holder | None], None] | None = None,
         poll_s: float = 0.5) -> Lease | None:
    """The lease of `run`, waiting for as long as another process holds it; None when `stop`
    says to give up first. `on_wait` is told the holder once, when waiting begins."""
    told = False
    while True:
        lease = take(run)
        if lease is not None:
            return lease
        if not told and on_wait is not None:
            on_wait(read_holder(run))
            told = True
        if stop is not None and stop():
            return None
        time.sleep(poll_s)


def held_by(run: Path) -> Holder | bool:
    """Whether another process holds the lease of `run` now: its Holder (or True when it has
    not written itself down yet), else False. Takes the lease for an instant to find out."""
    path = lease_path(run)
    if not path.exists():
        return False
    fd = _open(path)
    try:
        if _lock(fd, fcntl.LOCK_SH):
            return False
    finally:
        os.close(fd)
    return read_holder(run) or True


def read_holder(run: Path) -> Holder | None:
    """The holder written in the lease file, or None when it is empty (nobody holds it, or
    the holder has not written itself down yet)."""
    try:
        text = lease_path(run).read_text(encoding="utf-8")
        data = json.loads(text)
        return Holder(host=str(data["host"]), pid=int(data["pid"]), since=float(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _open(path: Path) -> int:
    # Not inherited by programs this process starts (O_CLOEXEC is Python's default), so the
    # lease ends with its holder and not with a helper the holder started.
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)


def _lock(fd: int, kind: int) -> bool:
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _write_holder(fd: int) -> None:
    text = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "since": time.time()})
    os.ftruncate(fd, 0)
    os.pwrite(fd, text.encode(), 0)
