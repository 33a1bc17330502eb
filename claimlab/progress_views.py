"""Showing a sweep's progress (claimlab/progress.py) while `claimlab run` trains it.

In a terminal, a live display (rich): an overall bar with the runs done, running and failed,
the sweep's tokens/s and its ETA, and under it one line per running run (step of steps, loss,
tokens/s, ETA), with each finished run's line scrolling above. Anywhere else (CI logs, pipes,
files) nothing moves: one plain line per finished run, as a log wants it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from claimlab.progress import RunView, SweepProgress

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from launch.local import Job, Outcome


def progress_view(progress: SweepProgress, stream: TextIO = sys.stdout) -> PlainView:
    """The view for `stream`: live when it is a terminal that can redraw, plain otherwise."""
    if not stream.isatty():
        return PlainView(progress, stream)
    from rich.console import Console  # only here: the other commands need none of rich

    console = Console(file=stream)
    if not console.is_terminal or console.is_dumb_terminal:
        return PlainView(progress, stream)
    return LiveView(progress, console)


class PlainView:
    """One line per finished run, and how long the sweep took."""

    def __init__(self, progress: SweepProgress, stream: TextIO):
        self.progress, self.stream = progress, stream

    def __enter__(self) -> PlainView:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self.stop()
        if exc_type is None:
            self.show(f"done in {self.progress.elapsed_s():.1f}s")

    def started(self, job: Job) -> None:
        self.progress.started(job)

    def done(self, outcome: Outcome) -> None:
        self.progress.done(outcome)
        self.show(finished_line(self.progress, outcome))

    def show(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def stop(self) -> None:
        """Stop showing the sweep (a plain view has nothing to stop)."""


class LiveView(PlainView):
    """The plain lines, scrolling above a live display of the sweep and its running runs."""

    def __init__(self, progress: SweepProgress, console: Console):
        from rich.live import Live

        super().__init__(progress, console.file)
        self.console = console
        # Twice a second: a toy run logs dozens of steps a second, and each redraw reads the
        # end of every running run's log.
        self.live = Live(console=console, get_renderable=self._render, refresh_per_second=2)

    def __enter__(self) -> LiveView:
        self.live.start()
        return self

    def show(self, line: str) -> None:
        from rich.text import Text

        self.console.print(Text(line))   # above the display; Text: no markup in errors

    def stop(self) -> None:
        self.live.stop()

    def _render(self) -> RenderableType:
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        progress = self.progress
        running = progress.running()
        head = Table.grid(padding=(0, 1))
        head.add_row(ProgressBar(total=progress.total, completed=progress.finished, width=30),
                     Text(sweep_line(progress, running)))
        runs = Table.grid(padding=(0, 2))
        for view in running:
            runs.add_row(*run_cells(view))
        return Group(head, runs)


def finished_line(progress: SweepProgress, outcome: Outcome) -> str:
    """`[k/N] <id> <status> <seconds>s  <val_loss or error>  (~<s>s left)`."""
    width = len(str(progress.total))
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
    line = (f"[{progress.finished:>{width}}/{progress.total}] {outcome.run_id} "
            f"{outcome.status:<9} {outcome.wall_time_s:6.1f}s  {detail}")
    if progress.finished < progress.total:
        eta = progress.eta_s(progress.running())
        if eta is not None:
            line += f"  (~{eta:.0f}s left)"
    return line


def sweep_line(progress: SweepProgress, running: list[RunView]) -> str:
    """`3/8 runs  2 completed, 1 failed, 2 running  61.2k tokens/s  1:02 left`."""
    counts = ", ".join(f"{progress.counts[status]} {status}"
                       for status in ("completed", "diverged", "failed")
                       if progress.counts[status])
    parts = [f"{progress.finished}/{progress.total} runs",
             ", ".join(filter(None, [counts, f"{len(running)} running" if running else ""]))]
    if running:
        parts.append(f"{_count(progress.tokens_per_s(running))} tokens/s")
    eta = progress.eta_s(running) if progress.finished < progress.total else None
    if eta is not None:
        parts.append(f"{_duration(eta)} left")
    return "  ".join(filter(None, parts))


def run_cells(view: RunView) -> tuple[str, ...]:
    """A running run's line: id, step of steps, loss, tokens/s, ETA."""
    total = view.last_step
    step = "starting" if view.step is None else f"step {view.step:>{len(str(total))}}/{total}"
    loss = "" if view.loss is None else f"loss {view.loss:.4f}"
    rate = "" if view.tokens_per_s is None else f"{_count(view.tokens_per_s)} tokens/s"
    eta = "" if view.eta_s is None else f"{_duration(view.eta_s)} left"
    return view.run_id, step, loss, rate, eta


def _count(value: float) -> str:
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.1f}{suffix}"
    return f"{value:.0f}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
