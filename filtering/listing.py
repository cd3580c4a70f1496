"""What a model's raw folder holds: the photos to filter, one per image ID, and what is not read.

The layout is flat (`raw/<model>/<image_id>.jpg`, as the crawler stores it): sub-folders are not
searched, and hidden files and files of other types are not read. The run names them rather than
pass over them in silence.

A photo's image ID is its name without the extension: its record, its crop
(`crops/<model>/<image_id>.jpg`), its copy in a set, its labels and the crawler's manifest all go
by it. Two photos whose names differ only in the extension (or in letter case, since on Windows
and macOS their crops would be one file) would share one ID: one is filtered, the other is
recorded as skipped (`same_name`) until it is renamed.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from filtering.images import BadImage
from filtering.records import IMAGE_SUFFIXES, Record, is_image_name, relative

# The crawler's manifests (scars_scrapy/pipelines/manifest.py): expected beside the photos, and
# read by the export, not by filtering.
CRAWLER_FILES = ("manifest.jsonl", "manifest-*.jsonl")
SAME_NAME = "same_name"
SHOWN = 5  # names shown of each kind of thing not read


@dataclass
class RawFolder:
    """One look at a model's raw folder: its photos by name, and the names of what is not read."""

    path: Path
    photos: list[Path] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)  # not searched (hidden ones: the system's)
    hidden: list[str] = field(default_factory=list)  # dot files named as photos
    other: list[str] = field(default_factory=list)  # files of other types, but the manifests


def read_folder(folder: Path) -> RawFolder:
    """The folder's entries, sorted by name (so that every run decides alike)."""
    found = RawFolder(folder)
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            _sort_entry(found, entry)
    return found


def _sort_entry(found: RawFolder, entry: os.DirEntry[str]) -> None:
    name = entry.name
    if entry.is_dir():
        if not name.startswith("."):
            found.folders.append(name)
    elif not entry.is_file():
        return  # a broken link, a socket: nothing a photo could be
    elif is_image_name(name):
        found.photos.append(found.path / name)
    elif name.startswith("."):
        if name.lower().endswith(IMAGE_SUFFIXES):
            found.hidden.append(name)  # other dot files are partial writes or the system's
    elif not any(fnmatch(name, pattern) for pattern in CRAWLER_FILES):
        found.other.append(name)


def list_images(folder: Path) -> list[Path]:
    """The raw images of a model folder, in a stable order."""
    return read_folder(folder).photos


def not_read(found: RawFolder) -> list[str]:
    """What the folder holds that the run does not read, one phrase per kind (none: empty)."""
    phrases = []
    if found.folders:
        folders = [f"{name}/" for name in found.folders]
        phrases.append(_phrase(folders, "sub-folder", "not searched"))
    if found.hidden:
        hidden = "not read (a name starting with '.' is hidden)"
        phrases.append(_phrase(found.hidden, "hidden file", hidden))
    if found.other:
        photos = "not read (photos are " + ", ".join(IMAGE_SUFFIXES) + ")"
        phrases.append(_phrase(found.other, "file", photos))
    return phrases


def _phrase(names: list[str], kind: str, what: str) -> str:
    """`its 2 sub-folders (front/, side/) are not searched`, or `its sub-folder front/ is ...`."""
    if len(names) == 1:
        return f"its {kind} {names[0]} is {what}"
    shown = ", ".join(names[:SHOWN]) + (", ..." if len(names) > SHOWN else "")
    return f"its {len(names):,} {kind}s ({shown}) are {what}"


def empty_note(found: RawFolder) -> str:
    """Why a folder without photos gives nothing to do, and where the photos must be."""
    phrases = not_read(found)
    if not phrases:
        return f"no images in {found.path}: nothing to do"
    return (
        f"no images in {found.path}: {'; '.join(phrases)}; put the photos directly in {found.path}"
    )


def ignored_note(found: RawFolder) -> str | None:
    """One line naming what a folder with photos holds that the run leaves alone."""
    phrases = not_read(found)
    return f"ignored in {found.path}: {'; '.join(phrases)}" if phrases else None


def same_name(photos: Sequence[Path], known: dict[str, Record], data: Path) -> dict[Path, Path]:
    """The photos whose image ID another photo of the folder has -> that photo.

    The photo kept is the one the ID's record names (an earlier run filtered it), else the first
    by name; a photo that has a record of its own is never taken from (IDs that differ in case)."""
    taken: dict[Path, Path] = {}
    for group in _by_image_id(photos).values():
        recorded = [p for p in group if _own_record(p, known, data)]
        first = recorded[0] if recorded else group[0]
        for path in group:
            if path != first and path not in recorded:
                exact = [p for p in recorded if p.stem == path.stem]
                taken[path] = exact[0] if exact else first
    return taken


def _by_image_id(photos: Sequence[Path]) -> dict[str, list[Path]]:
    groups: defaultdict[str, list[Path]] = defaultdict(list)
    for path in photos:
        groups[path.stem.casefold()].append(path)
    return groups


def _own_record(path: Path, known: dict[str, Record], data: Path) -> bool:
    record = known.get(path.stem)
    return record is not None and record.get("source") == relative(path, data)


class NameTaken(BadImage):
    """A photo not read, since another photo of its folder has its image ID (`kept`)."""

    def __init__(self, path: Path, kept: Path) -> None:
        super().__init__(
            SAME_NAME,
            f"{path}: {kept.name} beside it has the same name but for the extension (or letter "
            f"case) and is filtered as image ID {kept.stem}; rename {path.name} and run again "
            "to filter it",
        )
        self.kept = kept


def skipped_id(path: Path, data: Path) -> str:
    """The key of a skipped photo's record: its source, which no image ID can be (an ID is a
    file name, without a '/'), so it never hides the record of the photo kept."""
    return relative(path, data)


def same_name_warning(folder: Path, taken: dict[Path, Path]) -> str:
    """One line for the photos a run skipped as same_name, naming both files of each."""
    pairs = [f"{path.name} (beside {kept.name})" for path, kept in sorted(taken.items())]
    shown = ", ".join(pairs[:SHOWN]) + (", ..." if len(pairs) > SHOWN else "")
    return (
        f"{len(taken):,} photo(s) in {folder} skipped as {SAME_NAME}: {shown}. Each has the "
        "name of another photo there but for the extension (or letter case), and a photo's name "
        "without its extension is its image ID, which its record and crop go by; rename each "
        "photo skipped and run again to filter it"
    )
