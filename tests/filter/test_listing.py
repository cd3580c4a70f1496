"""Listing a raw model folder: the photos, one per image ID, and what the run does not read."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from filtering.listing import empty_note, ignored_note, list_images, read_folder, same_name

PHOTO = Image.radial_gradient("L").resize((64, 48)).convert("RGB")


def _folder(root: Path, names: list[str]) -> Path:
    """A raw model folder holding each name (`sub/x.jpg`: in a sub-folder): a real photo, or a
    line of text for names that are not a photo's (a file of another type is still a photo for
    its user: `car.heic` holds a JPEG)."""
    folder = root / "data" / "raw" / "m"
    folder.mkdir(parents=True)
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith((".jsonl", ".txt", ".keep", ".partial", "_Store")):
            path.write_text("{}\n")
        else:
            PHOTO.save(path, "PNG" if name.lower().endswith(".png") else "JPEG")
    return folder


def test_listing_skips_partial_writes_and_other_files(tmp_path: Path) -> None:
    for name in ("b.jpg", "a.JPG", ".a.jpg.partial", "manifest.jsonl", "c.webp"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in list_images(tmp_path)] == ["a.JPG", "b.jpg", "c.webp"]


@pytest.mark.parametrize(
    ("names", "recorded", "taken"),
    [
        (["a.jpg", "b.png", "c.webp"], [], {}),
        # The first by name is kept: the user's own photos, converted beside their originals.
        (["car1.jpg", "car1.png", "car2.JPG"], [], {"car1.png": "car1.jpg"}),
        (
            ["IMG_0001.JPG", "IMG_0001.jpg", "IMG_0001.png"],
            [],
            {"IMG_0001.jpg": "IMG_0001.JPG", "IMG_0001.png": "IMG_0001.JPG"},
        ),
        # IDs that differ in letter case: on Windows and macOS their crops would be one file.
        (["Car1.jpg", "car1.png"], [], {"car1.png": "Car1.jpg"}),
        # The photo an earlier run filtered keeps its ID, whichever comes first by name.
        (["car1.jpg", "car1.png"], ["car1.png"], {"car1.jpg": "car1.png"}),
        # Photos that each have their own record already (IDs differing in case) stay as they are.
        (["Car1.jpg", "car1.png"], ["Car1.jpg", "car1.png"], {}),
        (
            ["Car1.jpg", "car1.png", "car1.webp"],
            ["car1.png"],
            {"Car1.jpg": "car1.png", "car1.webp": "car1.png"},
        ),
        # A photo is named beside the one whose ID it has exactly.
        (
            ["Car1.jpg", "car1.png", "car1.webp"],
            ["Car1.jpg", "car1.png"],
            {"car1.webp": "car1.png"},
        ),
    ],
)
def test_photos_sharing_an_image_id_leave_one_kept(
    tmp_path: Path, names: list[str], recorded: list[str], taken: dict[str, str]
) -> None:
    folder = _folder(tmp_path, names)
    data = tmp_path / "data"
    known = {Path(n).stem: {"source": f"raw/m/{n}"} for n in recorded}
    found = same_name(list_images(folder), known, data)
    assert {path.name: kept.name for path, kept in found.items()} == taken


@pytest.mark.parametrize(
    ("names", "said"),
    [
        ([], "no images in {f}: nothing to do"),
        (
            ["front/a.jpg", "front/b.jpg", "side/c.jpg"],
            "no images in {f}: its 2 sub-folders (front/, side/) are not searched; "
            "put the photos directly in {f}",
        ),
        (
            [f"{view}/a.jpg" for view in "abcdefg"],
            "no images in {f}: its 7 sub-folders (a/, b/, c/, d/, e/, ...) are not searched; "
            "put the photos directly in {f}",
        ),
        (
            [".hidden.jpg", "empty/.keep", "manifest.jsonl", ".DS_Store"],
            "no images in {f}: its sub-folder empty/ is not searched; its hidden file "
            ".hidden.jpg is not read (a name starting with '.' is hidden); put the photos "
            "directly in {f}",
        ),
        (
            ["car.heic", "car.gif", "manifest-w1.jsonl"],
            "no images in {f}: its 2 files (car.gif, car.heic) are not read (photos are .jpg, "
            ".jpeg, .png, .webp); put the photos directly in {f}",
        ),
    ],
)
def test_a_folder_without_photos_says_what_it_holds(
    tmp_path: Path, names: list[str], said: str
) -> None:
    folder = _folder(tmp_path, names)
    found = read_folder(folder)
    assert found.photos == []
    assert empty_note(found) == said.format(f=folder)


def test_a_folder_with_photos_names_what_it_leaves_alone(tmp_path: Path) -> None:
    names = ["a.jpg", "sub/b.jpg", ".hidden.jpg", ".c.jpg.partial", "notes.txt", "manifest.jsonl"]
    folder = _folder(tmp_path, names)
    found = read_folder(folder)
    assert [p.name for p in found.photos] == ["a.jpg"]
    assert ignored_note(found) == (
        f"ignored in {folder}: its sub-folder sub/ is not searched; its hidden file .hidden.jpg "
        "is not read (a name starting with '.' is hidden); its file notes.txt is not read "
        "(photos are .jpg, .jpeg, .png, .webp)"
    )
    (folder / "notes.txt").unlink()
    for name in ("sub/b.jpg", "sub", ".hidden.jpg"):
        path = folder / name
        path.rmdir() if path.is_dir() else path.unlink()
    assert ignored_note(read_folder(folder)) is None
