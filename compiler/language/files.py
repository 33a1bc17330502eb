"""Where spec files are read from: the working tree, or a git revision of it.

The compiler reads a spec and the fragments it extends through one of these, so the same
composition can compile the spec as it is now and as it was at a revision (`plan --diff`).

Spec files come from pull requests and shared folders, so reading one is bounded: only regular
files (a device such as /dev/zero, or a FIFO that never ends, is refused before it is read),
at most MAX_BYTES of them; and a spec's fragments must lie inside its `boundary`: the git
repository that holds it, or its own folder when none does.
"""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# Far more than any spec or fragment needs (they are a few kB), and little enough to read and
# parse in well under a second.
MAX_BYTES = 1 << 20


class Files(Protocol):
    def read(self, path: str) -> str:
        """The file's text; raises OSError, or UnicodeDecodeError for a file that is not text."""

    def label(self, path: str) -> str:
        """How errors name the file."""

    def boundary(self, spec: str) -> Boundary:
        """The folder that the fragments `spec` extends must be in."""

    def inside(self, path: str, boundary: str) -> bool:
        """Whether `path` (links followed) is inside folder `boundary`."""


@dataclass(frozen=True)
class Boundary:
    """The folder a spec's fragments must be in, and what it is to the spec."""

    folder: str
    what: str       # "the spec's git repository", "the spec's folder"


class LocalFiles:
    """Files on disk, named as given."""

    def read(self, path: str) -> str:
        # O_NONBLOCK: opening a FIFO must not wait for a writer that never comes.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            kind = os.fstat(f.fileno()).st_mode
            if not stat.S_ISREG(kind):
                what = "a folder" if stat.S_ISDIR(kind) else "a device, FIFO or socket"
                raise OSError(0, f"not a regular file ({what})", path)
            data = f.read(MAX_BYTES + 1)
        return _text(data, path)

    def label(self, path: str) -> str:
        return path

    def boundary(self, spec: str) -> Boundary:
        folder = Path(os.path.realpath(spec)).parent
        for candidate in (folder, *folder.parents):
            if (candidate / ".git").exists():
                return Boundary(str(candidate), "the spec's git repository")
        return Boundary(str(folder), "the spec's folder (it is in no git repository)")

    def inside(self, path: str, boundary: str) -> bool:
        return _within(os.path.realpath(path), boundary)


# The working tree: where files are read from unless said otherwise.
LOCAL = LocalFiles()


class RevisionError(Exception):
    """A revision or repository that git cannot read."""


@dataclass(frozen=True)
class GitFiles:
    """Files as they were at `revision` of the git repository whose top is `root`.

    Paths are given as on disk (relative to the current directory, or absolute) and read
    from the same place in the revision's tree.
    """

    root: Path
    revision: str

    @classmethod
    def at(cls, revision: str, near: Path) -> GitFiles:
        """The revision of the repository that holds `near`; raises RevisionError."""
        top = _git(["rev-parse", "--show-toplevel"], near.parent if near.is_file() else near)
        root = Path(top.strip())
        _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], root,
             f"unknown revision {revision!r}")
        return cls(root, revision)

    def read(self, path: str) -> str:
        inside = self._inside(path)
        try:
            size = _git(["cat-file", "-s", f"{self.revision}:{inside}"], self.root)
        except RevisionError:
            raise FileNotFoundError(2, f"not in {self.revision}", path) from None
        if int(size) > MAX_BYTES:
            raise OSError(0, _too_large(), path)
        return _git(["show", f"{self.revision}:{inside}"], self.root)

    def label(self, path: str) -> str:
        return f"{self.revision}:{path}"

    def boundary(self, spec: str) -> Boundary:
        return Boundary(str(self.root.resolve()), "the spec's git repository")

    def inside(self, path: str, boundary: str) -> bool:
        return _within(os.path.abspath(path), boundary)

    def _inside(self, path: str) -> str:
        absolute = Path(os.path.abspath(path))
        real_root = self.root.resolve()
        try:
            return absolute.resolve().relative_to(real_root).as_posix()
        except ValueError:
            raise FileNotFoundError(2, f"outside the repository {self.root}", path) from None


def _text(data: bytes, path: str) -> str:
    if len(data) > MAX_BYTES:
        raise OSError(0, _too_large(), path)
    return data.decode("utf-8")


def _too_large() -> str:
    return f"larger than {MAX_BYTES >> 20} MiB, far more than any spec needs"


def _within(path: str, boundary: str) -> bool:
    return os.path.commonpath([path, os.path.realpath(boundary)]) == os.path.realpath(boundary)


def _git(args: list[str], cwd: Path, failure: str | None = None) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              check=False)
    except OSError as error:
        raise RevisionError(f"cannot run git: {error.strerror}") from None
    if done.returncode != 0:
        reason = failure or done.stderr.strip().splitlines()[-1:] or ["git failed"]
        raise RevisionError(reason if isinstance(reason, str) else reason[0])
    return done.stdout
