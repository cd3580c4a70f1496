"""Label mode output: copies of crops in the training layout, `<labels>/<class>/<image_id>.jpg`.

The copies follow the log: labelling writes a copy into the class folder, relabelling moves it to
the new class, undo takes it back. An image whose copy is already in a class folder when a
session starts (labelled by hand, say) has that label until it is decided, and undoing its
decision puts the copy back there. A file is only ever removed from a class folder when it is
byte-identical to the source crop, that is, when it is the copy this tool wrote; anything else found
there is left alone and reported.
"""

from __future__ import annotations

import filecmp
import shutil
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from filtering.classes import CLASSIFIER_CLASSES
from filtering.files import write_atomic
from filtering.training.labelled import label_on_disk, label_path


def labels_on_disk(labels_dir: Path, image_ids: Sequence[str]) -> dict[str, str]:
    """image ID -> the class folder already holding its copy (labelled by hand, or in a session
    whose log is gone): the label an image has before any decision of this session."""
    found = {i: label_on_disk(labels_dir, i, CLASSIFIER_CLASSES) for i in image_ids}
    return {image_id: label for image_id, label in found.items() if label is not None}


def _write_copy(src: Path, dst: Path) -> None:
    """Copy src to dst atomically (temporary name, then rename); non-JPEG sources are converted."""

    def write(partial: Path) -> None:
        if src.suffix.lower() in (".jpg", ".jpeg"):
            shutil.copyfile(src, partial)
        else:
            with Image.open(src) as im:
                im.convert("RGB").save(partial, "JPEG", quality=95)

    write_atomic(dst, write)


def _is_our_copy(candidate: Path, src: Path) -> bool:
    try:
        return filecmp.cmp(candidate, src, shallow=False)
    except OSError:
        return False


def sync_label(src: Path | None, labels_dir: Path, image_id: str, label: str | None) -> list[str]:
    """Make the class folders hold exactly one copy of `src`, under `label` (none if None).

    Returns messages about files that could not be brought in line (none when all is well).
    """
    problems: list[str] = []
    for cls in CLASSIFIER_CLASSES:
        path = label_path(labels_dir, cls, image_id)
        if cls == label:
            if src is None:
                problems.append(f"cannot label {image_id}: its image file is gone")
            elif not path.exists():
                _write_copy(src, path)
        elif path.exists():
            if src is not None and _is_our_copy(path, src):
                path.unlink()
            else:
                problems.append(f"left in place: {path} (not the copy of this image's crop)")
    return problems
