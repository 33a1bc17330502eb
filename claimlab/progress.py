"""Progress of a local sweep: one line per finished run, with counts and a time estimate."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from launch.local import Outcome


class Progress:
    def __init__(self, total: int, stream=sys.stdout):
        self.total = total
        self.stream = stream
        self.finished = 0
        self.started_at = time.perf_counter()

    def done(self, outcome: Outcome) -> None:
        self.finished += 1
        elapsed = time.perf_counter() - self.started_at
        remaining = elapsed / self.finished * (self.total - self.finished)
        width = len(str(self.total))
        detail = ""
        # An ensemble run has no val_loss of its own: the loss of its averaged predictions.
        shown = next((name for name in ("val_loss", "val_loss/ensemble")
                      if name in outcome.final), None)
        if outcome.status == "completed" and shown:
            detail = f"{shown} {outcome.final[shown]:.4f}"
        elif outcome.error:
            detail = outcome.error.splitlines()[0][:120]
        if outcome.skipped == "finished":
            detail += "  (trained by another process)"
        print(f"[{self.finished:>{width}}/{self.total}] {outcome.run_id} {outcome.status:<9} "
              f"{outcome.wall_time_s:6.1f}s  {detail}"
              + (f"  (~{remaining:.0f}s left)" if self.finished < self.total else ""),
              file=self.stream, flush=True)

    def close(self) -> None:
        elapsed = time.perf_counter() - self.started_at
        print(f"done in {elapsed:.1f}s", file=self.stream, flush=True)
