"""End to end: a crawled, filtered and reviewed model exported, loaded and trained on."""

from __future__ import annotations

import json
import os
import shutil
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from filtering.exporting.metadata import COLUMNS, LISTING_FIELDS
from filtering.records import read_records
from tests.export.conftest import MODEL, Reviewed
from tests.export.helpers import (
    card_counts,
    csv_rows,
    exported_files,
    jsonl_rows,
    manifest_rows,
    run_export,
    tree,
)  # fmt: skip

pytestmark = pytest.mark.timeout(300)
BOTH = ("--sets", "clean,questionable", "--val-fraction", "0.25", "--test-fraction", "0.25")


@pytest.fixture(scope="module")
def export(reviewed: Reviewed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both sets exported once; the data folder is checked to be untouched."""
    before = tree(reviewed.data)
    out = tmp_path_factory.mktemp("exports") / "vogue"
    done = run_export(reviewed.root, "--model", MODEL, "--out", str(out), *BOTH)
    assert done.returncode == 0, done.stderr
    assert "1 image: no manifest row" in done.stdout
    assert "1 image not exported: rejected in the review, not applied yet" in done.stdout
    assert tree(reviewed.data) == before
    return out


def test_the_export_loads_in_imagefolder_and_trains_ultralytics(
    export: Path, tmp_path: Path
) -> None:
    from torchvision.datasets import ImageFolder
    from ultralytics import YOLO

    train = ImageFolder(str(export / "train"))
    assert train.classes == ["clean", "questionable"]
    assert len(train) == sum(
        len(files) for (split, _), files in exported_files(export).items() if split == "train"
    )
    image, label = train[0]
    assert image.size[0] > 0 and train.classes[label] in ("clean", "questionable")

    model = YOLO("yolov8n-cls.yaml")
    model.train(
        data=str(export), epochs=1, imgsz=32, batch=8, workers=0, device="cpu", plots=False,
        amp=False, verbose=False, project=str(tmp_path), name="one-epoch",
    )  # fmt: skip
    assert model.names == {0: "clean", 1: "questionable"}
    assert (tmp_path / "one-epoch" / "weights" / "last.pt").exists()


def test_every_row_matches_its_file_manifest_row_record_and_review(
    export: Path, reviewed: Reviewed
) -> None:
    rows = jsonl_rows(export / "metadata.jsonl")
    manifest = manifest_rows(reviewed.raw)
    read = read_records(reviewed.final / "records.jsonl")
    records = read.by_id
    assert read.bad_lines == 0
    on_disk = {
        p.stem: s for s in ("clean", "questionable") for p in (reviewed.final / s).glob("*.jpg")
    }
    expected = set(on_disk) - {reviewed.pending_rejected}
    assert {row["image_id"] for row in rows} == expected
    for row in rows:
        image_id = row["image_id"]
        assert list(row) == list(COLUMNS)
        assert row["file_name"] == f"{row['split']}/{row['set']}/{image_id}.jpg"
        assert row["set"] == on_disk[image_id]
        crop = reviewed.final / row["set"] / f"{image_id}.jpg"
        assert (export / row["file_name"]).read_bytes() == crop.read_bytes()
        assert row["review_decision"] == reviewed.decided.get(image_id)
        _matches_manifest(row, manifest.get(image_id))
        _matches_record(row, records[image_id])
    assert sum(row["listing_id"] is None for row in rows) == 1
    assert next(r for r in rows if r["listing_id"] is None)["image_id"] == reviewed.unrecorded


def _matches_manifest(row: dict, listing: dict | None) -> None:
    if listing is None:
        assert all(row[key] is None for key in LISTING_FIELDS)
        return
    for key in LISTING_FIELDS:
        if key != "country_site":
            assert row[key] == listing[key], key
    assert row["country_site"] == urlsplit(listing["listing_url"]).netloc
    assert row["make"] == "Land Rover" and row["price"] >= 30_000


def _matches_record(row: dict, record: dict) -> None:
    assert [row["box_x1"], row["box_y1"], row["box_x2"], row["box_y2"]] == record["box"]
    for key in ("detector_class", "detector_conf", "classifier_label", "classifier_conf"):
        assert row[key] == record[key], key
    assert (row["filter_fate"], row["filter_stage"], row["filter_reason"]) == (
        record["fate"], record["stage"], record["reason"],
    )  # fmt: skip
    assert row["filter_fate"] == row["set"]


def test_no_listing_is_in_two_splits(export: Path, reviewed: Reviewed) -> None:
    rows = jsonl_rows(export / "metadata.jsonl")
    manifest = manifest_rows(reviewed.raw)
    splits_of = defaultdict(set)
    for row in rows:
        if row["image_id"] in manifest:
            splits_of[manifest[row["image_id"]]["listing_id"]].add(row["split"])
    assert all(len(splits) == 1 for splits in splits_of.values()), splits_of
    assert {row["split"] for row in rows} == {"train", "val", "test"}
    shared = [
        listing
        for listing, _ in splits_of.items()
        if sum(r["listing_id"] == listing for r in rows) > 1
    ]
    assert shared  # some listings have several photos, so the grouping was put to the test


def test_the_csv_holds_the_same_rows_with_file_name_first(export: Path) -> None:
    rows = jsonl_rows(export / "metadata.jsonl")
    header, table = csv_rows(export / "metadata.csv")
    assert header[0] == "file_name" and header == list(COLUMNS)
    assert len(table) == len(rows)
    for row, cells in zip(rows, table, strict=True):
        assert cells == {k: "" if v is None else str(v) for k, v in row.items()}


def test_each_split_folder_has_its_rows_for_imagefolder(export: Path) -> None:
    """With split folders, `datasets`' imagefolder reads the tables inside them, by file names
    relative to the table; the export's own tables at the top are left to other readers."""
    rows = jsonl_rows(export / "metadata.jsonl")
    for split in ("train", "val", "test"):
        inside = jsonl_rows(export / split / "metadata.jsonl")
        assert [r | {"file_name": f"{split}/{r['file_name']}"} for r in inside] == [
            r for r in rows if r["split"] == split
        ]
        assert all((export / split / r["file_name"]).is_file() for r in inside)
        assert not (export / split / "metadata.csv").exists()  # one format per folder


def test_the_card_counts_equal_the_files(export: Path) -> None:
    card = (export / "README.md").read_text(encoding="utf-8")
    counts = card_counts(card)
    files = exported_files(export)
    for split in ("train", "val", "test"):
        for name in ("clean", "questionable"):
            assert counts[split][name] == len(files.get((split, name), [])), (split, name)
        assert counts[split]["all"] == sum(len(f) for (s, _), f in files.items() if s == split)
    assert (
        counts["all"]["all"]
        == sum(map(len, files.values()))
        == len(jsonl_rows(export / "metadata.jsonl"))
    )
    marker = json.loads((export / "export.json").read_text())
    assert marker["counts"] == {
        s: {n: len(f) for (sp, n), f in files.items() if sp == s} for s in marker["counts"]
    }
    for text in (
        "ImageFolder(",
        "YOLO(",
        'load_dataset("imagefolder"',
        "copyright",
        "number plates",
    ):
        assert text in card
    assert "1 image: no manifest row" in card and "127.0.0.1" in card


def test_whole_photos_as_hard_links_of_the_clean_set(reviewed: Reviewed, tmp_path: Path) -> None:
    before = tree(reviewed.data)
    out = tmp_path / "photos"
    args = (
        "--model",
        MODEL,
        "--out",
        str(out),
        "--images",
        "photos",
        "--link",
        "--data",
        str(reviewed.data),
    )
    done = run_export(tmp_path, *args, module=True)
    assert done.returncode == 0, done.stderr
    rows = jsonl_rows(out / "metadata.jsonl")
    assert rows and {row["set"] for row in rows} == {"clean"}
    assert not list(out.glob("*/questionable"))
    for row in rows:
        assert os.path.samefile(out / row["file_name"], reviewed.raw / f"{row['image_id']}.jpg")
    assert tree(reviewed.data) == before


def test_replacing_an_export_replaces_it_whole(reviewed: Reviewed, tmp_path: Path) -> None:
    out = tmp_path / "again"
    args = ("--model", MODEL, "--out", str(out))
    assert run_export(reviewed.root, *args).returncode == 0
    (out / "notes.txt").write_text("left by the user in the export")
    first = tree(out)
    refused = run_export(reviewed.root, *args, "--seed", "7")
    assert refused.returncode == 2 and "--replace" in refused.stderr
    assert tree(out) == first
    replaced = run_export(reviewed.root, *args, "--seed", "7", "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert not (out / "notes.txt").exists()
    assert json.loads((out / "export.json").read_text())["options"]["seed"] == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again"]  # nothing left beside it


def test_torn_last_lines_are_skipped_and_counted(
    reviewed: Reviewed, export: Path, tmp_path: Path
) -> None:
    """A kill mid-write leaves a torn last line in any record file: the export goes on."""
    root = tmp_path / "copy"
    shutil.copytree(reviewed.root / "data", root / "data")
    final, raw = root / "data" / "final" / MODEL, root / "data" / "raw" / MODEL
    for path, torn in (
        (final / "records.jsonl", '{"image_id": "cut'),
        (raw / "manifest.jsonl", '{"ima'),
        (final / "review_log.jsonl", '{"op": "dec'),
    ):
        with path.open("a", encoding="utf-8") as file:
            file.write(torn)
    out = tmp_path / "out"
    done = run_export(root, "--model", MODEL, "--out", str(out), *BOTH)
    assert done.returncode == 0, done.stderr
    card = (out / "README.md").read_text(encoding="utf-8")
    for name in ("records.jsonl", "the manifest", "review_log.jsonl"):
        assert f"- 1 unreadable line in {name}, skipped" in card
    rows = [
        {k: v for k, v in r.items() if k != "file_name"} for r in jsonl_rows(out / "metadata.jsonl")
    ]
    assert rows == [
        {k: v for k, v in r.items() if k != "file_name"}
        for r in jsonl_rows(export / "metadata.jsonl")
    ]


def test_moves_a_review_applied_are_known_from_the_records_without_the_log(
    reviewed: Reviewed, tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(reviewed.root / "data", root / "data")
    (root / "data" / "final" / MODEL / "review_log.jsonl").unlink()
    out = tmp_path / "out"
    assert run_export(root, "--model", MODEL, "--out", str(out), *BOTH).returncode == 0
    decisions = {r["image_id"]: r["review_decision"] for r in jsonl_rows(out / "metadata.jsonl")}
    for image_id, target in reviewed.decided.items():
        if image_id in decisions and decisions[image_id] is not None:
            assert decisions[image_id] == target
    assert sum(v is not None for v in decisions.values()) == 2  # the two moves applied and kept


def test_a_decision_whose_file_moved_since_is_not_followed(
    reviewed: Reviewed, tmp_path: Path
) -> None:
    """The crop rejected and not applied is moved to questionable/ by hand: applying would not
    carry the rejection out (it saw the file in clean/), so the export does not follow it."""
    root = tmp_path / "copy"
    shutil.copytree(reviewed.root / "data", root / "data")
    final = root / "data" / "final" / MODEL
    name = f"{reviewed.pending_rejected}.jpg"
    (final / "clean" / name).rename(final / "questionable" / name)
    out = tmp_path / "out"
    done = run_export(root, "--model", MODEL, "--out", str(out), *BOTH)
    assert done.returncode == 0, done.stderr
    assert "rejected in the review, not applied yet" not in done.stdout
    said = "1 image: review decision not followed (its file moved or changed since it was decided)"
    assert said in (out / "README.md").read_text(encoding="utf-8")
    rows = {r["image_id"]: r for r in jsonl_rows(out / "metadata.jsonl")}
    row = rows[reviewed.pending_rejected]
    assert (row["set"], row["review_decision"]) == ("questionable", None)


def test_rows_in_a_workers_manifest_are_joined_too(reviewed: Reviewed, tmp_path: Path) -> None:
    """A shared crawl writes one manifest per worker: the crawler's reader lists them all."""
    root = tmp_path / "copy"
    shutil.copytree(reviewed.root / "data", root / "data")
    manifest = root / "data" / "raw" / MODEL / "manifest.jsonl"
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    manifest.write_text("".join(lines[::2]), encoding="utf-8")
    (manifest.parent / "manifest-worker-2.jsonl").write_text("".join(lines[1::2]), encoding="utf-8")
    out = tmp_path / "out"
    assert run_export(root, "--model", MODEL, "--out", str(out)).returncode == 0
    rows = jsonl_rows(out / "metadata.jsonl")
    assert [r["image_id"] for r in rows if r["listing_id"] is None] == [reviewed.unrecorded]
    assert any(
        json.loads(line)["image_id"] in {r["image_id"] for r in rows} for line in lines[1::2]
    )


def test_the_listings_are_counted_and_their_absence_said(
    reviewed: Reviewed, tmp_path: Path
) -> None:
    """Photos filtered without the crawl's manifest have no listing: "of 0 listings" would read
    as an empty export."""
    out = tmp_path / "with"
    done = run_export(reviewed.root, "--model", MODEL, "--out", str(out))
    rows = jsonl_rows(out / "metadata.jsonl")
    listings = {r["listing_id"] for r in rows if r["listing_id"]}
    assert len(listings) > 1
    said = f"{len(rows):,} images of {len(listings):,} listings"
    assert f"exported {said} to {out}" in done.stdout
    card = (out / "README.md").read_text(encoding="utf-8")
    assert said.replace("images", "car crops (the detector's box with a margin)") in card

    root = tmp_path / "copy"
    shutil.copytree(reviewed.root / "data", root / "data")
    (root / "data" / "raw" / MODEL / "manifest.jsonl").unlink()
    out = tmp_path / "without"
    done = run_export(root, "--model", MODEL, "--out", str(out))
    assert done.returncode == 0, done.stderr
    said = f"{len(rows):,} images of no known listing (no crawl manifest names them)"
    assert f"exported {said} to {out}" in done.stdout
    assert said.replace("images", "car crops (the detector's box with a margin)") in (
        out / "README.md"
    ).read_text(encoding="utf-8")
