"""The per-step metrics log: one JSON object per line, flushed as it is written, so a reader
(or a crash) always sees whole lines up to the last completed step. A resumed run cuts the log
back to its checkpoint's length and appends from there, so no step appears twice and a line
torn by a kill is dropped."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # typing.Self is Python 3.11+; claimlab runs on 3.10
    from typing import Self


class MetricsLog:
    def __init__(self, path: Path, resume_at: int | None = None):
        """A new log at `path`, or the existing one cut to `resume_at` bytes."""
        if resume_at is None:
            self._file = path.open("w", encoding="utf-8")
        else:
            self._file = path.open("r+", encoding="utf-8")
            if self._file.seek(0, 2) < resume_at:
                # Cutting "back" past the end would pad the log with NUL bytes.
                self._file.close()
                raise ValueError(f"{path} is shorter than the {resume_at} bytes to resume at")
            self._file.truncate(resume_at)
            self._file.seek(resume_at)

    def write(self, record: dict[str, Any]) -> None:
        # NaN and inf are not JSON; a diverged step's loss is written as null.
        line = {k: v if not isinstance(v, float) or math.isfinite(v) else None
                for k, v in record.items()}
        self._file.write(json.dumps(line) + "\n")
        self._file.flush()

    def tell(self) -> int:
        """Bytes written so far: where a resume from this point cuts the log."""
        return self._file.tell()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class NullLog:
    """What processes other than the first write under DDP: nothing."""

    def write(self, record: dict[str, Any]) -> None:
        pass

    def tell(self) -> int:
        return 0

    def close(self) -> None:
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        pass
