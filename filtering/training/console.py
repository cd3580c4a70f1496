"""What training shows: one progress bar over all its epochs, while Ultralytics' own output (its
per-batch bars, banners and warnings) goes to a log file.

On a terminal the bar is redrawn in place; elsewhere (a pipe, a log) it prints one line per
training run instead, so a captured output stays short and free of control codes.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any, TextIO

BAR_WIDTH = 24


@contextmanager
def output_to(log: Path, started: Callable[[], bool]) -> Iterator[TextIO]:
    """Send Ultralytics' output to `log` (appended) inside the block; yields the console.

    A block that fails before `started()` says it has (a training that could not start: starting
    weights that cannot be loaded), or before anything was written to the log, leaves no log it
    created, nor the folders made for it."""
    import ultralytics  # noqa: F401  (its logger must exist before its handlers are redirected)

    made = _missing_folders(log.parent)
    created = not log.exists()
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _redirected(log) as console:
            yield console
    except BaseException:
        if created:
            _remove_log(log, made, keep_written=started())
        raise


@contextmanager
def _redirected(log: Path) -> Iterator[TextIO]:
    console = sys.stdout
    with log.open("a", encoding="utf-8") as file, redirect_stdout(file), redirect_stderr(file):
        handlers = _stream_handlers()
        # Swapped in place, not with setStream: that flushes the old stream, which may be one a
        # caller has closed since Ultralytics was imported (a test's captured output).
        previous = [h.stream for h in handlers]
        for handler in handlers:
            handler.stream = file
        try:
            yield console
        finally:
            for handler, stream in zip(handlers, previous, strict=True):
                handler.stream = stream


def _missing_folders(folder: Path) -> list[Path]:
    """`folder` and those of its parents that are not there yet, the deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def _remove_log(log: Path, folders: list[Path], keep_written: bool) -> None:
    """Remove `log` (if `keep_written`, only when empty), then those of `folders` left empty."""
    if log.is_file() and not (keep_written and log.stat().st_size > 0):
        log.unlink()
    for folder in folders:
        try:
            folder.rmdir()  # only an empty one
        except OSError:
            return


def _stream_handlers() -> list[logging.StreamHandler[Any]]:
    logger = logging.getLogger("ultralytics")
    return [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]


class Progress:
    """Counts epochs over every training run of one `train.py` call."""

    def __init__(self, console: TextIO, total_epochs: int) -> None:
        self.console = console
        self.total = total_epochs
        self.done = 0
        self.began = time.perf_counter()
        self.run_began = self.began
        self.tty = console.isatty()

    def watch(self, model: Any, name: str) -> None:
        """Follow the epochs of `model.train()`, the run called `name`."""
        self.name = name
        self.run_began = time.perf_counter()
        model.add_callback("on_train_epoch_end", self._epoch_done)

    def _epoch_done(self, trainer: Any) -> None:
        self._show(
            int(trainer.epoch) + 1, int(trainer.epochs), f", loss {_loss(trainer.tloss):.3f}"
        )

    def epochs_done(self, name: str, epochs: int) -> None:
        """A run of `epochs` epochs called `name`, done at once (a head on cached features)."""
        self.name = name
        self.done += epochs - 1
        self._show(epochs, epochs, "")
        self.run_began = time.perf_counter()

    def _show(self, epoch: int, epochs: int, loss: str) -> None:
        self.done += 1
        if self.tty:
            where = f"{self.name}: epoch {epoch}/{epochs}{loss}"
            self.console.write(f"\r{self._bar()} {where}  ")
            self.console.flush()
        elif epoch == epochs:
            seconds = time.perf_counter() - self.run_began
            line = f"{self.name}: {epochs} epochs, {seconds:.0f} s{loss}"
            print(line, file=self.console)

    def _bar(self) -> str:
        filled = round(BAR_WIDTH * self.done / max(1, self.total))
        elapsed = time.perf_counter() - self.began
        left = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return f"[{bar}] {self.done}/{self.total} epochs, {elapsed:.0f} s, ~{left:.0f} s left"

    def finish(self) -> None:
        if self.tty:
            self.console.write("\n")
        seconds = time.perf_counter() - self.began
        print(f"trained {self.done} epochs in {seconds:.0f} s", file=self.console)


def _loss(value: Any) -> float:
    """The epoch's mean training loss, whichever form this Ultralytics version keeps it in."""
    if isinstance(value, dict):
        return sum(_loss(v) for v in value.values())
    try:
        return float(value.mean()) if hasattr(value, "mean") else float(value)
    except (TypeError, ValueError):
        return float("nan")
