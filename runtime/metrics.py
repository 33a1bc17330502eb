"""The per-step metrics log: one JSON object per line, flushed as it is written, so a reader
(or a crash) always sees whole lines up to the last completed step."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import TracebackType
from typing import Any


class MetricsLog:
    def __init__(self, path: Path):
        # A leftover log belongs to a killed attempt at the same run: start it over.
        self._file = path.open("w", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        # NaN and inf are not JSON; a diverged step's loss is written as null.
        line = {k: v if not isinstance(v, float) or math.isfinite(v) else None
                for k, v in record.items()}
        self._file.write(json.dumps(line) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> MetricsLog:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
