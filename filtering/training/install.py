"""Putting a finished training's files in place as one step that a kill at any moment leaves
either not begun or due to be finished: an install journal.

Every new file is first written whole, and flushed to disk, under a temporary name beside the
file it replaces (`temporary`). Then the journal `<folder>/front_classifier_install.json` is
written in one rename: the list of the renames that put those files in place, in order. That
is the commit point. Before it, nothing in use has changed and the temporaries are leftovers
(`remove_leftovers`, which the next training calls). From it on, the renames are due: they are
done, and the journal is deleted. Whoever next uses the folder (run.py loading a classifier,
evaluate.py, train.py) first finishes a journal still there (`finish_pending`): each step whose
temporary is still there is done, the others were, so finishing twice, or after a kill in the
middle of finishing, comes to the same files as finishing once.

A step renames a temporary onto its target, or removes a target while a temporary is still
there: a calibration file is removed before the weights it does not belong to take the place of
its own (a run.py starting in that moment takes the default threshold, never the old model's
with the new weights), and is not removed again once its replacement is in.

While one process does the renames it holds a lock on the journal (where the system has
`fcntl`: Linux, macOS), so a run.py that starts meanwhile waits the milliseconds they take and
then finds them done, instead of doing them at the same time.

This module is the one reader and writer of the journal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filtering.classes import DEFAULT_CLASSIFIER
from filtering.files import partial_path, write_atomic
from filtering.weights import WeightsError

JOURNAL_NAME = f"{DEFAULT_CLASSIFIER.stem}_install.json"
FORMAT = "scars install journal 1"  # changed if the steps ever mean something else


class InstallError(WeightsError):
    """A journal that cannot be read: which of the renames it recorded are left is unknown."""


@dataclass(frozen=True)
class Step:
    """One rename (`source` onto `target`) or one removal (of `target`, only while `while_there`
    is still there); names of files in the journal's folder."""

    name: str  # what it does, as a person reads it: "model", "previous calibration removed"
    target: str
    source: str | None = None
    while_there: str | None = None

    def due(self, folder: Path) -> bool:
        """Not done yet: its temporary is still there (a removal: and its target)."""
        if self.source is not None:
            return (folder / self.source).exists()
        there = self.while_there is None or (folder / self.while_there).exists()
        return there and (folder / self.target).exists()

    def apply(self, folder: Path) -> None:
        """Do the step if it is due; done already, it is left as it is."""
        if not self.due(folder):
            return
        if self.source is None:
            (folder / self.target).unlink(missing_ok=True)
            return
        # FileNotFoundError: another process did it since (a system without fcntl)
        with suppress(FileNotFoundError):
            os.replace(folder / self.source, folder / self.target)


def rename(name: str, source: Path, target: Path) -> Step:
    return Step(name, target.name, source=source.name)


def removal(name: str, target: Path, while_there: Path) -> Step:
    return Step(name, target.name, while_there=while_there.name)


def temporary(target: Path) -> Path:
    """Where the file that will replace `target` is written first (a dot file: listers skip it)."""
    return target.with_name(f".{target.name}.install")


def journal_path(folder: Path) -> Path:
    return folder / JOURNAL_NAME


@dataclass(frozen=True)
class Finished:
    """An install a stopped process left half done, finished."""

    journal: Path
    model: Path  # the model it put in place
    left: int  # of its steps, those that were still to do
    steps: int

    def describe(self) -> str:
        return (
            f"finished putting in place a training that was stopped during it: {self.model} is "
            f"its model ({self.left} of {self.steps} steps were left; {self.journal} removed)"
        )


def commit(folder: Path, model: Path, steps: Sequence[Step]) -> bool:
    """Write the journal of `steps`, whose temporaries are written whole, do them, delete it.

    Returns whether a Ctrl-C came during the renames: once the journal is written they are due,
    so they are finished first and the caller says so."""
    for step in steps:
        if step.source is not None:
            _flush_to_disk(folder / step.source)  # before the journal that makes them due
    stopped = False
    try:
        write_journal(folder, model, steps)
    except KeyboardInterrupt:
        if not journal_path(folder).exists():
            raise  # before the commit point: nothing in use has changed
        stopped = True
    while True:
        try:
            finish_pending(folder)
            return stopped
        except KeyboardInterrupt:
            stopped = True  # each step is done at most once, whenever it is stopped


def write_journal(folder: Path, model: Path, steps: Sequence[Step]) -> Path:
    """The commit point: the journal of `steps`, written whole or not at all."""
    content = {
        "format": FORMAT,
        "model": model.name,
        "steps": [{k: v for k, v in vars(step).items() if v is not None} for step in steps],
    }
    text = json.dumps(content, indent=1) + "\n"

    def write(partial: Path) -> None:
        partial.write_text(text, encoding="utf-8")
        _flush_to_disk(partial)

    path = journal_path(folder)
    write_atomic(path, write)
    return path


def finish_pending(folder: Path) -> Finished | None:
    """Do the steps left of the journal in `folder` and delete it; None when there is none."""
    path = journal_path(folder)
    if not path.exists():
        return None
    with _locked(path) as there:
        if not there:  # another process finished it while this one waited
            return None
        model, steps = read_journal(path)
        left = sum(step.due(folder) for step in steps)
        for step in steps:
            step.apply(folder)
        path.unlink(missing_ok=True)
    return Finished(path, folder / model, left, len(steps))


def finish_aloud(folder: Path) -> None:
    """`finish_pending`, saying so in one line when there was an install to finish."""
    finished = finish_pending(folder)
    if finished is not None:
        print(finished.describe())


def read_journal(path: Path) -> tuple[str, list[Step]]:
    """The model and the steps of the journal at `path`; `InstallError` naming it if unusable."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _unreadable(path, f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise _unreadable(path, f"not a journal of the format {FORMAT!r}")
    model, steps = content.get("model"), content.get("steps")
    if not _plain_name(model) or not isinstance(steps, list) or not steps:
        raise _unreadable(path, "no model or no steps")
    parsed = [_step(value) for value in steps]
    for value, step in zip(steps, parsed, strict=True):
        if step is None:
            raise _unreadable(path, f"a step that is no rename or removal beside it: {value}")
    return str(model), [step for step in parsed if step is not None]


def _step(value: Any) -> Step | None:
    """The step a journal's entry records; None if it records none."""
    if not isinstance(value, dict) or not set(value) <= {"name", "target", "source", "while_there"}:
        return None
    target, source, while_there = (value.get(k) for k in ("target", "source", "while_there"))
    if not _plain_name(target) or (source is not None and while_there is not None):
        return None
    if not all(name is None or _plain_name(name) for name in (source, while_there)):
        return None
    return Step(str(value.get("name", "")), str(target), source, while_there)


def _plain_name(name: object) -> bool:
    """A file name of the journal's own folder: no path, nothing outside it."""
    return isinstance(name, str) and name not in ("", ".", "..") and Path(name).name == name


def _unreadable(path: Path, why: str) -> InstallError:
    return InstallError(
        f"install journal {path} cannot be read ({why}): it lists the renames that put a stopped "
        "training's files in place, so which are left is unknown, and nothing has been changed; "
        "delete it to use the folder as it is (the next training then removes the files that "
        "training left)"
    )


def remove_leftovers(folder: Path, names: Sequence[Path]) -> list[Path]:
    """Remove those of `names` (temporaries of an install) that are there, and a half-written
    journal, and return them; none while a journal is there: its temporaries are then due to be
    renamed, not left over."""
    journal = journal_path(folder)
    if journal.exists():
        return []
    removed = [path for path in [*names, partial_path(journal)] if path.is_file()]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def _flush_to_disk(path: Path) -> None:
    """The file's bytes on the disk: a journal is only as good as the files it renames."""
    with path.open("rb+") as file:
        os.fsync(file.fileno())


@contextmanager
def _locked(path: Path) -> Iterator[bool]:
    """Hold the lock of the journal at `path`; yields whether it is still there once held."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock; two processes finishing at once rename each file once
        yield path.exists()
        return
    while True:
        try:
            file = path.open("rb")
        except FileNotFoundError:
            yield False
            return
        with file:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX)  # released on close, or when killed
            if _same_file(path, file.fileno()):
                yield True
                return
        # deleted, or replaced by a new journal, while this one waited: look again


def _same_file(path: Path, descriptor: int) -> bool:
    try:
        on_disk = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(descriptor)
    return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)
