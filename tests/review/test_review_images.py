"""Background decoding and the label mode's copies, without a display."""

from __future__ import annotations

import filecmp
import json
import shutil
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from review_helpers import BLUE, GREEN, RED, YELLOW, write_image

from review_tool.folder import describe_record, read_folder_records
from review_tool.images import Prefetcher, load_fitted
from review_tool.log import LABEL
from review_tool.session import ReviewSession, SessionConfig


def test_load_fitted_scales_into_the_box(tmp_path: Path) -> None:
    big = write_image(tmp_path / "big.jpg", RED, (1280, 960))
    loaded = load_fitted(big, (800, 800))
    assert loaded.error is None and loaded.original_size == (1280, 960)
    assert loaded.image is not None and loaded.image.size == (800, 600)
    r, g, b = loaded.image.getpixel((400, 300))  # type: ignore[misc]
    assert abs(r - RED[0]) < 12 and abs(g - RED[1]) < 12 and abs(b - RED[2]) < 12
    small = load_fitted(write_image(tmp_path / "s.jpg", RED, (100, 50)), (400, 400))
    assert small.image is not None and small.image.size == (400, 200)  # small crops shown large


def test_unreadable_and_missing_images_become_messages(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    for path in (broken, empty):
        loaded = load_fitted(path, (100, 100))
        assert loaded.image is None and loaded.error is not None
        assert loaded.error.startswith("unreadable image")
    gone = load_fitted(tmp_path / "gone.jpg", (100, 100))
    assert gone.error is not None and "gone" in gone.error


def test_prefetcher_decodes_ahead_and_caches(tmp_path: Path) -> None:
    paths = [write_image(tmp_path / f"{i}.jpg", GREEN, (640, 480)) for i in range(6)]
    prefetcher = Prefetcher(workers=2, capacity=4)
    try:
        prefetcher.prefetch(paths[:3], (320, 320))
        first = prefetcher.request(paths[0], (320, 320))
        assert first.result(timeout=10).image is not None
        assert prefetcher.request(paths[0], (320, 320)) is first  # cached, not decoded again
        assert prefetcher.request(paths[0], (100, 100)) is not first  # another size
        for p in paths:
            prefetcher.request(p, (320, 320)).result(timeout=10)
        assert prefetcher.request(paths[0], (320, 320)) is not first  # evicted (capacity 4)
        # Replacing the file on disk is noticed: its identity is part of the key.
        newer = prefetcher.request(paths[5], (320, 320))
        write_image(paths[5], BLUE, (641, 480))
        assert prefetcher.request(paths[5], (320, 320)) is not newer
    finally:
        prefetcher.close()


def test_describe_record() -> None:
    text = describe_record({"detector_class": "truck", "detector_conf": 0.5, "reason": "x"})
    assert text == "detector truck 0.50   ·   classifier - -   ·   reason x"
    assert describe_record(None) == "no filtering record for this image"


def test_records_last_line_wins_and_bad_lines_are_counted(tmp_path: Path) -> None:
    (tmp_path / "records.jsonl").write_text(
        '{"image_id": "a", "fate": "clean"}\nnot json\n[1]\n{"image_id": "a", "fate": "rejected"}\n'
    )
    records = read_folder_records(tmp_path)
    assert records.by_id["a"]["fate"] == "rejected" and records.bad_lines == 2


def test_label_mode_writes_moves_and_takes_back_copies(
    make_final: Callable[..., Path], tmp_path: Path
) -> None:
    folder = make_final({"to_label": {"t1": RED, "t2": GREEN}, "clean": {"c1": BLUE}})
    labels = tmp_path / "labels"
    config = SessionConfig(
        folder=folder, mode=LABEL, sets=("to_label", "clean", "questionable"), labels_dir=labels
    )
    session = ReviewSession(config)
    assert session.order == ["t1", "t2", "c1"]  # to_label first
    session.decide_current("front")
    session.decide_current("other")
    assert filecmp.cmp(labels / "front" / "t1.jpg", folder / "to_label" / "t1.jpg", shallow=False)
    assert (labels / "other" / "t2.jpg").exists()
    session.decide(["t1"], "front_angled")  # relabel: the copy moves
    assert not (labels / "front" / "t1.jpg").exists()
    assert (labels / "front_angled" / "t1.jpg").exists()

    reopened = ReviewSession(config)  # undo across a restart
    reopened.undo()
    assert (labels / "front" / "t1.jpg").exists()
    reopened.undo()
    assert not (labels / "other" / "t2.jpg").exists()
    assert reopened.progress_text().startswith("2 / 3   front 1 · front_angled 0 · other 0")
    # The source crops are untouched and nothing moved between sets.
    assert sorted(p.name for p in (folder / "to_label").iterdir()) == ["t1.jpg", "t2.jpg"]
    with Image.open(labels / "front" / "t1.jpg") as im:
        assert im.format == "JPEG"
    # A review decision in the same log does not count as a label and vice versa.
    review = ReviewSession(SessionConfig(folder=folder, sets=("to_label", "clean")))
    assert review.counts()["undecided"] == 3


def test_a_label_already_on_disk_is_the_images_label_and_undo_puts_it_back(
    make_final: Callable[..., Path], tmp_path: Path
) -> None:
    """A crop copied into a class folder by hand (or by a session whose log is gone) is labelled:
    it is not counted undecided, relabelling moves it, and undo brings the hand label back."""
    folder = make_final({"to_label": {"t1": RED, "t2": GREEN}})
    labels = tmp_path / "labels"
    (labels / "other").mkdir(parents=True)
    shutil.copyfile(folder / "to_label" / "t1.jpg", labels / "other" / "t1.jpg")  # by hand
    config = SessionConfig(folder=folder, mode=LABEL, sets=("to_label",), labels_dir=labels)
    session = ReviewSession(config)
    assert session.decision("t1") == "other"
    assert session.progress_text().endswith("front 0 · front_angled 0 · other 1 · undecided 1")
    assert session.current == "t2"  # the session resumes at the first image without a label
    session.decide(["t1"], "front")
    assert (labels / "front" / "t1.jpg").exists() and not (labels / "other" / "t1.jpg").exists()
    session.undo()
    assert (labels / "other" / "t1.jpg").exists() and not (labels / "front" / "t1.jpg").exists()
    assert ReviewSession(config).decision("t1") == "other"  # and after a restart


def test_label_mode_leaves_foreign_files_alone(
    make_final: Callable[..., Path], tmp_path: Path
) -> None:
    folder = make_final({"to_label": {"t1": RED}})
    labels = tmp_path / "labels"
    write_image(labels / "other" / "t1.jpg", GREEN)  # the user's own file, not our copy
    session = ReviewSession(
        SessionConfig(folder=folder, mode=LABEL, sets=("to_label",), labels_dir=labels)
    )
    session.decide_current("front")
    assert (labels / "other" / "t1.jpg").exists() and (labels / "front" / "t1.jpg").exists()
    assert any("left in place" in w and "other/t1.jpg" in w for w in session.warnings)


def test_label_mode_shows_the_crops_the_classifier_rejected(
    make_final: Callable[..., Path], tmp_path: Path
) -> None:
    """`--sets not_front`: the crops filtering rejected as not front, read from data/crops/,
    labelled by copy; the crops stay where they are and their records are not touched."""
    folder = make_final({"clean": {"c1": BLUE}})
    crops = folder.parents[1] / "crops" / folder.name
    write_image(crops / "r1.jpg", RED)  # rejected by the classifier
    write_image(crops / "r2.jpg", GREEN)  # rejected too
    write_image(crops / "c1.jpg", BLUE)  # placed in clean: not a rejection
    write_image(crops / "d1.jpg", YELLOW)  # rejected for another reason
    rejected = {"fate": "rejected", "stage": "classify", "crop": "crops/test-car/r1.jpg"}
    with (folder / "records.jsonl").open("a") as out:
        for image_id, reason in (("r1", "not_front:other"), ("r2", "not_front:other"),
                                 ("d1", "near_duplicate")):  # fmt: skip
            out.write(json.dumps({**rejected, "image_id": image_id, "reason": reason}) + "\n")
    before = (folder / "records.jsonl").read_text()
    labels = tmp_path / "labels"
    config = SessionConfig(
        folder=folder, mode=LABEL, sets=("to_label", "not_front"), labels_dir=labels
    )
    session = ReviewSession(config)
    assert session.order == ["r1", "r2"]
    assert not any("updated" in w for w in session.warnings)  # not taken for stray files
    session.decide_current("front_angled")
    assert filecmp.cmp(labels / "front_angled" / "r1.jpg", crops / "r1.jpg", shallow=False)
    assert sorted(p.name for p in crops.iterdir()) == ["c1.jpg", "d1.jpg", "r1.jpg", "r2.jpg"]
    assert (folder / "records.jsonl").read_text() == before
