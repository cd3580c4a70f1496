"""Locks in a model's folder under final/, held through the operating system, so that they end
with their holder however it ends (a kill -9, a crash, a power cut): a lock file left behind
blocks nothing.

- `hold_model_folder`: a filtering run holds it for its whole run. A second run on the same
  model stops at once and names the first: its pid, host and start are written in the lock file
  (`final/<model>/.model.lock`). Each model has its own, so different models run side by side.
- `check_model_folder`: what a reader that must not see a model half filtered (the export) asks
  first; it raises as a second run would, and writes nothing.
- `held`: a lock waited for, for short writes (each write to `records.jsonl`, see records.py).

`fcntl.flock` on Linux and macOS, `msvcrt.locking` on Windows (of one byte far past the holder's
details, which other processes must still be able to read). Lock files are never removed:
removing one while another process waits to lock it would let two processes hold two files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

MODEL_LOCK_NAME = ".model.lock"  # a dot file: every lister of the model's folder skips it
_WINDOWS_LOCK_AT = 1 << 20  # the byte msvcrt.locking locks, past any holder's details


@dataclass(frozen=True)
class Holder:
    """Who holds a model's lock, as it wrote itself into the lock file."""

    pid: int
    host: str
    started: str  # local time, with its offset from UTC


class ModelLockError(Exception):
    """The model's folder cannot be locked (a read-only folder); the message names it."""


class ModelBusyError(ModelLockError):
    """Another run holds the model's lock; the message names the folder and that run."""

    def __init__(self, folder: Path, holder: Holder | None) -> None:
        self.folder, self.holder = folder, holder
        if holder is None:  # locked an instant ago, its details not written yet
            who = "its pid not written yet"
        else:
            who = f"pid {holder.pid} on {holder.host}, started {holder.started}"
        super().__init__(f"{folder} is being filtered by another run ({who})")


@contextmanager
def hold_model_folder(folder: Path) -> Iterator[Holder]:
    """Hold `folder`'s lock (creating the folder and its lock file if need be) until the block
    ends; raise ModelBusyError at once if another process holds it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        file = _open(folder / MODEL_LOCK_NAME)
    except OSError as exc:
        raise ModelLockError(f"{folder} cannot be locked for this run: {exc}") from None
    with file:
        if not _lock(file, wait=False):
            raise ModelBusyError(folder, _holder(file))
        try:
            me = Holder(os.getpid(), socket.gethostname(), _now())
            file.seek(0)
            file.truncate()
            file.write(json.dumps(asdict(me)).encode("utf-8"))
            file.flush()
            yield me
        finally:
            _unlock(file)


def check_model_folder(folder: Path) -> None:
    """Raise ModelBusyError if a run holds `folder`'s lock. Writes nothing (no lock file means
    no run: a run creates it before anything else), so it works on a read-only data folder."""
    try:
        file = (folder / MODEL_LOCK_NAME).open("rb")
    except FileNotFoundError:
        return
    with file:
        if not _lock(file, wait=False):
            raise ModelBusyError(folder, _holder(file))
        _unlock(file)


@contextmanager
def held(path: Path) -> Iterator[None]:
    """Hold the lock file `path` (created if need be) until the block ends, waiting for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _open(path) as file:
        _lock(file, wait=True)
        try:
            yield
        finally:
            _unlock(file)


def _open(path: Path) -> BinaryIO:
    """`path` for reading and writing, created if missing, never truncated on opening."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0)  # O_BINARY: Windows only
    return os.fdopen(os.open(path, flags, 0o666), "r+b")


def _holder(file: BinaryIO) -> Holder | None:
    file.seek(0)
    try:
        return Holder(**json.loads(file.read(4096)))
    except (ValueError, TypeError):
        return None


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(sep=" ", timespec="seconds")


if sys.platform == "win32":
    import msvcrt

    def _lock(file: BinaryIO, wait: bool) -> bool:
        """Lock one byte of `file`; False if another process holds it (and `wait` is False).
        Waiting, msvcrt retries for 10 seconds, then raises OSError."""
        file.seek(_WINDOWS_LOCK_AT)
        try:
            msvcrt.locking(file.fileno(), msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
        except OSError:
            if wait:
                raise
            return False
        return True

    def _unlock(file: BinaryIO) -> None:
        file.seek(_WINDOWS_LOCK_AT)
        msvcrt.locking(file.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(file: BinaryIO, wait: bool) -> bool:
        """Lock `file` whole; False if another process holds it (and `wait` is False)."""
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(file: BinaryIO) -> None:
        fcntl.flock(file.fileno(), fcntl.LOCK_UN)
