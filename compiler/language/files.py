"""Where spec files are read from: the working tree, or a git revision of it.

The compiler reads a spec and the fragments it extends through one of these, so the same
composition can compile the spec as it is now and as it was at a revision (`plan --diff`).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class Files(Protocol):
    def read(self, path: str) -> str:
        """The file's text; raises OSError, or UnicodeDecodeError for a file that is not text."""

    def label(self, path: str) -> str:
        """How errors name the file."""


class LocalFiles:
    """Files on disk, named as given."""

    def read(self, path: str) -> str:
        return Path(path).read_text(encoding="utf-8")

    def label(self, path: str) -> str:
        return path


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
            return _git(["show", f"{self.revision}:{inside}"], self.root)
        except RevisionError:
            raise FileNotFoundError(2, f"not in {self.revision}", path) from None

    def label(self, path: str) -> str:
        return f"{self.revision}:{path}"

    def _inside(self, path: str) -> str:
        absolute = Path(os.path.abspath(path))
        real_root = self.root.resolve()
        try:
            return absolute.resolve().relative_to(real_root).as_posix()
        except ValueError:
            raise FileNotFoundError(2, f"outside the repository {self.root}", path) from None


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
