"""The labelled crops' layout, `<folder>/<class>/<image_id>.jpg` (one folder per class), and
reading such a folder. The review tool's label mode writes it; training reads it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError

# What Ultralytics' classification loader reads, in lower case.
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})


def label_path(folder: Path, label: str, image_id: str) -> Path:
    """Where the crop of `image_id` labelled `label` is in the layout."""
    return folder / label / f"{image_id}.jpg"


def label_on_disk(folder: Path, image_id: str, classes: Sequence[str]) -> str | None:
    """The class whose folder holds the crop of `image_id` (the first of `classes`), or None."""
    return next((c for c in classes if label_path(folder, c, image_id).is_file()), None)


class DataError(Exception):
    """A labelled folder that cannot be used; the message names the folder and the problem."""


@dataclass(frozen=True)
class Item:
    path: Path
    label: str


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


@dataclass
class LabelledSet:
    """The usable images of a labelled folder, and every file left out with the reason."""

    folder: Path
    items: list[Item] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # class folders absent or empty

    def count(self, label: str) -> int:
        return sum(item.label == label for item in self.items)


def read_labelled(folder: Path, classes: Sequence[str], require_all: bool) -> LabelledSet:
    """The readable images under `folder/<class>/`; `require_all`: every class must have some."""
    if not folder.is_dir():
        raise DataError(f"labelled folder not found: {folder} (expected {folder}/<class>/*.jpg)")
    found = LabelledSet(folder)
    for label in classes:
        files = _image_files(folder / label)
        if not files:
            found.missing.append(label)
        for path in files:
            reason = unreadable_reason(path)
            if reason:
                found.skipped.append(Skipped(path, reason))
            else:
                found.items.append(Item(path, label))
    check_found(found, classes, require_all)
    return found


def _image_files(class_folder: Path) -> list[Path]:
    if not class_folder.is_dir():
        return []
    return sorted(
        p
        for p in class_folder.iterdir()
        # Hidden files are half-written copies (the review tool's `.tmp-*`) or system files.
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES
    )


def check_found(found: LabelledSet, classes: Sequence[str], require_all: bool) -> None:
    folder = found.folder
    empty = [c for c in classes if found.count(c) == 0]
    if require_all and empty:
        what = ", ".join(f"{folder / c}/" for c in empty)
        raise DataError(
            f"no readable images for class {', '.join(empty)}: {what} missing or empty "
            f"(every class needs labelled crops: {', '.join(classes)})"
            + _found_instead(found, classes)
        )
    if not found.items:
        raise DataError(f"no readable images in {folder}/<class>/ for classes {', '.join(classes)}")


def _found_instead(found: LabelledSet, classes: Sequence[str]) -> str:
    others = other_folders(found.folder, classes)
    return f"; found folders {', '.join(others)} instead" if others else ""


def unreadable_reason(path: Path) -> str | None:
    """Why `path` cannot be used as a training image, or None if it decodes."""
    try:
        with Image.open(path) as image:
            image.draft("RGB", (64, 64))  # a JPEG decodes at reduced scale: the check stays cheap
            image.load()
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError) as exc:
        return f"unreadable: {exc}"
    return None


def other_folders(folder: Path, classes: Sequence[str]) -> list[str]:
    """Sub-folders that are not classes: left out, and said so, in case of a typo."""
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name not in classes)
