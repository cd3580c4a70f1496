"""End to end: `python filtering/run.py` over a folder in the crawler's layout."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from PIL import ImageOps

from filtering.records import read_records
from filtering.stage_list import STAGE_NAMES
from review_tool.session import ReviewSession, SessionConfig
from tests.filter.scenes import (
    EXPECTED,
    NEAR_GROUPS,
    bus_scene,
    empty_scene,
    raw_folder,
    run_filtering,
)

MODEL = "test-bus"


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture
def workdir(tmp_path: Path, bus_photo: Path) -> Path:
    raw_folder(bus_photo, tmp_path / "data" / "raw" / MODEL)
    return tmp_path


def _filter(workdir: Path, detector: Path, *extra: str) -> str:
    done = run_filtering(workdir, "--detector", str(detector), *extra)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _records(workdir: Path) -> dict[str, dict]:
    read = read_records(workdir / "data" / "final" / MODEL / "records.jsonl")
    assert read.bad_lines == 0
    return read.by_id


def _summary(out: str) -> dict[str, list[str]]:
    """The summary table's rows by stage: in, out, rejected (wherever the table is printed)."""
    rows = [line.split() for line in out.splitlines()]
    return {row[0]: row[1:4] for row in rows if row and row[0] in (*STAGE_NAMES, "review")}


def test_every_image_gets_its_fate(workdir: Path, detector_weights: Path) -> None:
    sources = _hashes(workdir / "data" / "raw" / MODEL)
    out = _filter(workdir, detector_weights)
    records = _records(workdir)
    assert set(records) == {Path(name).stem for name in sources if name != "manifest.jsonl"}
    for image_id, (fate, stage, reason) in EXPECTED.items():
        record = records[image_id]
        assert (record["fate"], record["stage"], record["reason"]) == (fate, stage, reason)
    assert records["a_copy"]["duplicate_of"] == "a"
    kept = [_check_group(records, group, workdir / "data") for group in NEAR_GROUPS]
    final = workdir / "data" / "final" / MODEL
    assert sorted(p.name for p in (final / "to_label").iterdir()) == sorted(
        f"{k}.jpg" for k in kept
    )
    assert not (final / "clean").exists() and not (final / "questionable").exists()
    assert _hashes(workdir / "data" / "raw" / MODEL) == sources  # the sources are untouched
    assert "near_duplicate 3" in out and "vehicle_cut_off 1" in out


def _check_group(records: dict[str, dict], group: tuple[str, ...], data: Path) -> str:
    """One image of a near-duplicate group is kept, the largest; the others point to it."""
    kept = [i for i in group if records[i]["fate"] == "to_label"]
    assert len(kept) == 1, {i: records[i]["fate"] for i in group}
    keeper = records[kept[0]]
    area = keeper["crop_size"][0] * keeper["crop_size"][1]
    for image_id in group:
        record = records[image_id]
        assert record["crop_size"][0] * record["crop_size"][1] <= area
        if image_id != kept[0]:
            assert (record["fate"], record["reason"]) == ("rejected", "near_duplicate")
            assert record["duplicate_of"] == kept[0]
        assert (data / record["crop"]).exists()
    assert (data / keeper["output"]).exists()
    return kept[0]


def test_the_summary_and_report_show_every_stage(workdir: Path, detector_weights: Path) -> None:
    done = run_filtering(workdir, "--detector", str(detector_weights))
    assert "No front-facing classifier at models/front_classifier.pt" in done.stderr
    table = _summary(done.stdout)
    assert table["load"] == ["14", "11", "3"]
    assert table["exact_duplicates"] == ["11", "10", "1"]
    assert table["detect"] == ["10", "5", "5"]
    assert table["classify"] == ["5", "5", "0"]
    assert table["near_duplicates"] == ["5", "2", "3"]
    report = (workdir / "data" / "final" / MODEL / "report.html").read_text()
    for heading in ("to_label: 2", "vehicle_cut_off: 1 (governed by --edge-margin 0.01)"):
        assert heading in report
    assert report.count("<img") == 14 - 3  # every image is shown; unreadable sources say so
    assert report.count("(unreadable)") == 3
    assert "What next" in report and f"data/final/{MODEL} --label" in report


def test_a_second_run_does_no_work(workdir: Path, detector_weights: Path) -> None:
    _filter(workdir, detector_weights)
    final = workdir / "data" / "final" / MODEL
    before = _stamps(final)
    out = _filter(workdir, detector_weights)
    assert "nothing new to process" in out
    assert _stamps(final) == before


def _stamps(final: Path) -> dict[Path, int]:
    """Every file's modification time, but the locks': each run writes its pid into them."""
    return {p: p.stat().st_mtime_ns for p in final.rglob("*") if p.suffix != ".lock"}


def test_new_images_only_are_processed(
    workdir: Path, detector_weights: Path, bus_photo: Path
) -> None:
    _filter(workdir, detector_weights)
    first = _records(workdir)
    lines = (workdir / "data" / "final" / MODEL / "records.jsonl").read_text().count("\n")
    raw = workdir / "data" / "raw" / MODEL
    bus_scene(bus_photo).resize((1560, 1320)).save(raw / "z_larger.jpg")  # a's near-duplicate
    (raw / "z_broken.jpg").write_bytes(b"GIF89a")
    out = _filter(workdir, detector_weights)
    records = _records(workdir)
    assert _summary(out)["load"][0] == "2"  # two images went in
    new_lines = (workdir / "data" / "final" / MODEL / "records.jsonl").read_text().count("\n")
    assert new_lines - lines == 3  # z_broken once; z_larger as a candidate, then decided
    assert {k: v for k, v in records.items() if not k.startswith("z_")} == first
    keeper = next(i for i in NEAR_GROUPS[0] if first[i]["fate"] == "to_label")
    # Larger, but a crop placed by an earlier run stays: a person may have reviewed it.
    assert records["z_larger"]["duplicate_of"] == keeper
    assert records["z_broken"]["reason"] == "not_an_image"


def test_a_review_shows_in_the_next_runs_totals_and_report(
    workdir: Path, detector_weights: Path, tiny_classifier: Path
) -> None:
    """The review tool appends the moves it applies to the records; the next run's totals and
    its report follow them, without processing anything again."""
    args = ("--classifier", str(tiny_classifier))
    _filter(workdir, detector_weights, *args)
    final = workdir / "data" / "final" / MODEL
    kept = sorted(p.stem for s in ("clean", "questionable") for p in (final / s).glob("*.jpg"))
    assert kept
    session = ReviewSession(SessionConfig(folder=final))
    session.decide([kept[0]], "rejected")
    assert len(session.apply().moved) == 1

    out = _filter(workdir, detector_weights, *args)
    assert "nothing new to process" in out
    record = _records(workdir)[kept[0]]
    assert (record["fate"], record["stage"]) == ("rejected", "review")
    totals = next(line for line in out.splitlines() if line.startswith("all images"))
    assert sum(int(n) for n in re.findall(r"(?:clean|questionable) (\d+)", totals)) == len(kept) - 1
    report = (final / "report.html").read_text()
    assert "rejected, review/moved_to_rejected: 1" in report


def test_the_printed_next_steps_name_this_runs_paths(workdir: Path, detector_weights: Path) -> None:
    out = _filter(workdir, detector_weights)
    commands = [line.split() for line in out.splitlines() if line.startswith("  python ")]
    label, train = commands
    assert (workdir / label[1]).is_file() or Path(label[1]).is_file()
    assert (workdir / label[2] / "to_label").is_dir() and label[3:] == ["--label"]
    # The detector is a file here, so training starts from its features (no download needed).
    assert train[2:] == ["--data", f"data/labels/{MODEL}", "--weights", str(detector_weights)]


def test_photos_sharing_a_name_are_each_recorded_and_a_renamed_one_is_filtered(
    tmp_path: Path, bus_photo: Path, detector_weights: Path
) -> None:
    """car1.jpg and car1.png would share the image ID car1 (of a record, a crop, a set's copy):
    the first by name is filtered, the other is recorded as skipped, once, until it is renamed."""
    raw = tmp_path / "data" / "raw" / MODEL
    raw.mkdir(parents=True)
    bus_scene(bus_photo).save(raw / "car1.jpg")
    empty_scene(3).save(raw / "car1.png")  # another picture: filtered, it has no vehicle
    ImageOps.mirror(bus_scene(bus_photo, (40, 70, 30))).save(raw / "car2.JPG")
    sources = _hashes(raw)
    done = run_filtering(tmp_path, "--detector", str(detector_weights))
    assert done.returncode == 0, done.stderr
    assert _summary(done.stdout)["load"] == ["3", "2", "1"] and "same_name 1" in done.stdout
    assert f"1 photo(s) in data/raw/{MODEL} skipped as same_name: car1.png (beside car1.jpg)" in (
        done.stderr
    )
    records = _records(tmp_path)
    assert (records["car1"]["source"], records["car1"]["fate"]) == (
        f"raw/{MODEL}/car1.jpg",
        "to_label",
    )
    skipped = records[f"raw/{MODEL}/car1.png"]
    assert (skipped["fate"], skipped["stage"], skipped["reason"]) == (
        "rejected",
        "load",
        "same_name",
    )
    assert skipped["source"] == f"raw/{MODEL}/car1.png" and skipped["crop"] is None
    assert "car1.jpg beside it has the same name" in skipped["message"]
    assert "rename car1.png and run again" in skipped["message"]
    crops = tmp_path / "data" / "crops" / MODEL
    assert sorted(p.name for p in crops.iterdir()) == ["car1.jpg", "car2.jpg"]
    report = (tmp_path / "data" / "final" / MODEL / "report.html").read_text()
    assert "rejected, load/same_name: 1" in report

    # A later run neither records it again nor warns again: it is decided, as every rejection.
    lines = (tmp_path / "data" / "final" / MODEL / "records.jsonl").read_text()
    again = run_filtering(tmp_path, "--detector", str(detector_weights))
    assert "nothing new to process" in again.stdout and "same_name" not in again.stderr
    assert (tmp_path / "data" / "final" / MODEL / "records.jsonl").read_text() == lines

    # Renamed, the photo is filtered under its own name; the photo kept is as it was.
    (raw / "car1.png").rename(raw / "car1-side.png")
    out = _filter(tmp_path, detector_weights)
    assert _summary(out)["load"] == ["1", "1", "0"]
    renamed = _records(tmp_path)
    assert (renamed["car1-side"]["fate"], renamed["car1-side"]["reason"]) == (
        "rejected",
        "no_vehicle",
    )
    assert renamed["car1"] == records["car1"]
    sources["car1-side.png"] = sources.pop("car1.png")
    assert _hashes(raw) == sources  # the sources are untouched
