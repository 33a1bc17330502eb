"""A real single-node Slurm cluster on localhost, for tests: Debian's munged, slurmctld and
slurmd, each in the foreground under one temporary folder, with their own key, socket,
ports and state, so they touch nothing of a Slurm the machine may already run.

Everything runs as the user running the tests. The node has this machine's CPUs and no GPUs.
Processes are tracked by proctrack/linuxproc and pinned by task/affinity (no cgroups, no
systemd), jobs are scheduled per core (select/cons_tres, CR_Core), there is no accounting,
and a node that was down comes back by itself (ReturnToService=2).

Commands given `cluster.env` (SLURM_CONF pointing at the cluster's slurm.conf) talk to this
cluster, and jobs submitted with it inherit it, with this Python's environment first on PATH.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel")
# Daemons live in sbin, which a user's PATH may lack.
_SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])

_CONF = """\
ClusterName=claimlab-test
SlurmctldHost=localhost
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser={user}
SlurmdUser={user}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge/munge.socket
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
{node} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


def missing_binaries() -> list[str]:
    return [name for name in BINARIES if shutil.which(name, path=_SEARCH) is None]


@dataclass
class SlurmCluster:
    root: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    released: set[tuple[str, str]] = field(default_factory=set)  # (job id, restarts)

    def run(self, *command: str) -> str:
        """Run a Slurm command against this cluster; its output."""
        done = subprocess.run(command, env=self.env, capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(command)} failed ({done.returncode}): "
                                 f"{done.stdout}{done.stderr}")
        return done.stdout

    def jobs(self) -> list[dict[str, str]]:
        """Every job in the queue, one per array task: id, array job, task, state, restarts."""
        fields = ("JobID", "ArrayJobID", "ArrayTaskID", "State", "Reason", "RestartCnt")
        out = self.run("squeue", "--array", "--noheader",
                       "--Format=" + ",".join(f"{name}:|" for name in fields))
        return [dict(zip(fields, line.split("|"), strict=False)) for line in out.splitlines()]

    def release_requeued(self) -> list[str]:
        """Start the requeued tasks in a few seconds rather than after Slurm's two-minute
        hold; their job ids. Not at once: a requeued job revokes its credential on the node,
        and a job that starts again within the same second is refused as revoked."""
        waiting = {(job["JobID"], job["RestartCnt"]) for job in self.jobs()
                   if job["State"] == "PENDING" and job["RestartCnt"] not in ("", "0")}
        for job, _ in waiting - self.released:
            self.run("scontrol", "update", f"JobId={job}", "StartTime=now+3")
        new = waiting - self.released
        self.released |= new
        return sorted(job for job, _ in new)

    def wait_until(self, done: Callable[[], bool], what: str, timeout: float = 120,
                   release: bool = True) -> None:
        """Poll `done` until it holds, starting requeued tasks at once when `release`;
        fail after `timeout` s with the queue and the daemons' logs."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}; "
                                     f"queue: {self.jobs()}\n{self.logs()}")
            if release:
                self.release_requeued()
            time.sleep(0.5)

    def idle(self) -> bool:
        return not self.jobs()

    def logs(self) -> str:
        """The end of each daemon's log and output."""
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted((self.root / "log").iterdir()))

    def stop(self) -> None:
        """Cancel every job, then stop the daemons by their PIDs."""
        if all(process.poll() is None for process in self.processes.values()):
            subprocess.run(["scancel", "--user", getpass.getuser()], env=self.env,
                           check=False, capture_output=True)
            deadline = time.monotonic() + 60
            try:
                while time.monotonic() < deadline and self.jobs():
                    time.sleep(0.5)
            except AssertionError:  # the controller has gone: nothing left to wait for
                pass
        for name in ("slurmd", "slurmctld", "munged"):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_cluster() -> SlurmCluster:
    """Start munged, slurmctld and slurmd; return once the node is idle."""
    # Not under pytest's base temp: munged wants its socket's folder open to every user.
    root = Path(tempfile.mkdtemp(prefix="claimlab-slurm-"))
    root.chmod(0o755)
    for name in ("munge", "state", "spool", "log", "cache"):
        (root / name).mkdir()
    (root / "munge").chmod(0o755)
    key = root / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o600)
    (root / "slurm.conf").write_text(_CONF.format(
        root=root, user=getpass.getuser(), ctld_port=_free_port(), slurmd_port=_free_port(),
        node=_this_node()))
    env = {**os.environ, "SLURM_CONF": str(root / "slurm.conf"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{_SEARCH}",
           "CLAIMLAB_CACHE": str(root / "cache")}
    cluster = SlurmCluster(root, env)
    try:
        cluster.processes["munged"] = _daemon(root, "munged", [
            "munged", "--foreground", f"--socket={root}/munge/munge.socket",
            f"--key-file={key}", f"--pid-file={root}/munged.pid",
            f"--seed-file={root}/munged.seed", f"--log-file={root}/log/munged.log"], env)
        _wait_for(lambda: (root / "munge" / "munge.socket").exists(), "munged", cluster)
        cluster.processes["slurmctld"] = _daemon(root, "slurmctld", ["slurmctld", "-D"], env)
        cluster.processes["slurmd"] = _daemon(root, "slurmd",
                                              ["slurmd", "-D", "-N", "localhost"], env)
        _wait_for(lambda: _node_state(env) == "idle", "the node to be idle", cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _this_node() -> str:
    """This machine's node line as slurmd sees it (CPUs, sockets, cores, threads, memory),
    under the name localhost."""
    found = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True,
                           env={**os.environ, "PATH": _SEARCH})
    words = found.stdout.splitlines()[0].split()
    return " ".join(["NodeName=localhost NodeAddr=127.0.0.1",
                     *(w for w in words if not w.startswith("NodeName="))])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _daemon(root: Path, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
    out = (root / "log" / f"{name}.out").open("w")
    with out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=root)


def _node_state(env: dict[str, str]) -> str:
    found = subprocess.run(["sinfo", "--noheader", "--format=%T"], env=env,
                           capture_output=True, text=True, check=False)
    return found.stdout.strip()


def _wait_for(ready: Callable[[], bool], what: str, cluster: SlurmCluster,
              timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        dead = [name for name, process in cluster.processes.items()
                if process.poll() is not None]
        if dead or time.monotonic() > deadline:
            raise RuntimeError(f"the test Slurm cluster did not start: waiting for {what}"
                               f"{f', {dead} exited' if dead else ''}\n{cluster.logs()}")
        time.sleep(0.1)
