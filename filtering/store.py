"""Writing images into the data folders: temporary name, then rename (`files.write_atomic`), so
that a run killed at any moment leaves either the whole file or none.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from PIL import Image

from filtering.files import write_atomic


def save_jpeg(image: Image.Image, path: Path, quality: int) -> None:
    write_atomic(path, lambda partial: image.save(partial, "JPEG", quality=quality))


def copy_file(source: Path, path: Path) -> None:
    write_atomic(path, lambda partial: shutil.copyfile(source, partial))


def place(crop: Path, target: Path, previous: Path | None) -> None:
    """Put a crop's copy at `target`: move it from `previous` (its old set) if it is there."""
    if previous is not None and previous != target and previous.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(previous, target)
    else:
        copy_file(crop, target)
