"""Where an export goes: checked before anything is written, built beside it, renamed into place.

An export never mixes with another: it is written whole into a folder next to the target and then
renamed onto it. A folder that is not empty is replaced only when asked, and only if it is an
earlier export (it has `export.json`): another folder of the user's is never deleted.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filtering.exporting.options import ExportError, ExportOptions

MARKER = "export.json"  # what makes a folder an export that --replace may replace


def check_target(options: ExportOptions) -> None:
    out, data = options.out.resolve(), options.data.resolve()
    if out == data or data in out.parents:
        raise ExportError(
            f"--out {options.out} is inside the data folder {options.data}: export outside it"
        )
    if out in data.parents:
        raise ExportError(
            f"--out {options.out} holds the data folder {options.data}: export beside it"
        )
    if out.exists() and not out.is_dir():
        raise ExportError(f"--out {options.out} is a file, not a folder")
    if not _is_empty(out):
        if not options.replace:
            raise ExportError(
                f"--out {options.out} is not empty: choose a new or empty folder, "
                "or add --replace to replace the export there"
            )
        if not (out / MARKER).is_file():
            raise ExportError(
                f"--out {options.out} is not empty and holds no {MARKER}, so it is not an "
                "export: it is not replaced"
            )


@contextmanager
def staging(out: Path) -> Iterator[Path]:
    """A fresh folder beside `out` to write the export into; removed if writing fails."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    try:
        yield folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def move_into_place(folder: Path, out: Path) -> None:
    """Rename the finished export onto `out`; an earlier export there is removed only after."""
    out = out.resolve()
    if _is_empty(out):
        if out.exists():
            out.rmdir()
        os.replace(folder, out)
        return
    old = out.parent / f".{out.name}.replaced-{os.getpid()}"
    os.replace(out, old)
    os.replace(folder, out)
    shutil.rmtree(old)


def put_file(source: Path, target: Path, link: bool) -> bool:
    """Copy or hard-link `source` to `target`; False when a link was asked for and not possible
    (another file system, or one without hard links): then the file is copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if link:
        try:
            os.link(source, target)
            return True
        except OSError:
            pass
    shutil.copyfile(source, target)
    return not link


def _is_empty(folder: Path) -> bool:
    return not folder.exists() or not any(folder.iterdir())
