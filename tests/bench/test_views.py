"""The quality benchmarks' view corrections: the shipped file against the real photos
(../shared/photos/lire-ferrari, credited in its ATTRIBUTION.csv), and a bad file's messages."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from benchmarks.quality import (
    CORRECTIONS,
    NO_CORRECTIONS,
    VIEWS,
    corrections_file,
    photos_by_view,
    read_corrections,
)
from tests.conftest import SHARED

PHOTOS = SHARED / "photos" / "lire-ferrari"
SHIPPED = CORRECTIONS / "lire-ferrari.csv"


def _folder(tmp_path: Path, files: list[str]) -> Path:
    """A photo folder of `<view>/<name>` files (their bytes do not matter here)."""
    photos = tmp_path / "photos"
    for name in files:
        (photos / name).parent.mkdir(parents=True, exist_ok=True)
        (photos / name).write_bytes(b"jpeg")
    return photos


def _corrections(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    path = tmp_path / "views.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["file", "view", "why"])
        writer.writerows([(file, view, "seen") for file, view in rows])
    return path


def test_a_corrected_photo_moves_to_its_view_and_no_other_does(tmp_path: Path) -> None:
    photos = _folder(tmp_path, ["front_three_quarter/a.jpg", "front_three_quarter/b.jpg"])
    corrections = _corrections(tmp_path, [("front_three_quarter/b.jpg", "rear_three_quarter")])
    by_view = photos_by_view(photos, corrections)
    assert by_view == {
        "front_three_quarter": [photos / "front_three_quarter" / "a.jpg"],
        "rear_three_quarter": [photos / "front_three_quarter" / "b.jpg"],
    }
    assert photos_by_view(photos) == {
        "front_three_quarter": [photos / "front_three_quarter" / n for n in ("a.jpg", "b.jpg")]
    }


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ("front_three_quarter/missing.jpg", "rear"),
            "line 2: no photo 'front_three_quarter/missing.jpg'",
        ),
        (("", "rear"), "line 2: no photo ''"),
        (("front_three_quarter/a.jpg", "back"), "line 2: unknown view 'back' (choose from front,"),
    ],
)
def test_a_bad_row_stops_with_its_line(tmp_path: Path, row: tuple[str, str], message: str) -> None:
    photos = _folder(tmp_path, ["front_three_quarter/a.jpg"])
    corrections = _corrections(tmp_path, [row])
    with pytest.raises(SystemExit) as stopped:
        read_corrections(corrections, photos)
    assert str(corrections) in str(stopped.value) and message in str(stopped.value)


def test_the_file_that_applies(tmp_path: Path) -> None:
    assert corrections_file(tmp_path / "lire-ferrari", None) == SHIPPED
    assert corrections_file(tmp_path / "lire-ferrari", NO_CORRECTIONS) is None
    assert corrections_file(tmp_path / "other-photos", None) is None
    assert corrections_file(tmp_path / "x", "mine.csv") == Path("mine.csv")


@pytest.mark.skipif(not PHOTOS.is_dir(), reason="../shared/photos/lire-ferrari is not here")
def test_the_shipped_corrections_name_real_photos_and_move_them() -> None:
    moved = read_corrections(SHIPPED, PHOTOS)
    assert moved and all(view in VIEWS for view in moved.values())
    by_view = photos_by_view(PHOTOS, SHIPPED)
    for path, view in moved.items():
        assert path in by_view[view] and path.parent.name != view
    # every photo is still counted once
    assert sorted(p for files in by_view.values() for p in files) == sorted(PHOTOS.glob("*/*.jpg"))


def test_a_file_without_the_columns_or_with_a_byte_order_mark(tmp_path: Path) -> None:
    photos = _folder(tmp_path, ["front_three_quarter/a.jpg"])
    headless = tmp_path / "headless.csv"
    headless.write_text("front_three_quarter/a.jpg,rear\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="its first line must name the columns file,view,why"):
        read_corrections(headless, photos)
    marked = tmp_path / "marked.csv"
    marked.write_text("file,view,why\nfront_three_quarter/a.jpg,rear,seen\n", encoding="utf-8-sig")
    assert read_corrections(marked, photos) == {photos / "front_three_quarter" / "a.jpg": "rear"}
    missing = tmp_path / "missing.csv"
    with pytest.raises(SystemExit, match=f"cannot read the view corrections {missing}"):
        read_corrections(missing, photos)
