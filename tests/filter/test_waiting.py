"""Crops that waited in to_label/ are classified from their crop files once a classifier is
there: no photo is detected twice, and what the crops decide is what a fresh run decides."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from filtering.batch import Models
from filtering.detect import Box
from filtering.pipeline import run_model
from filtering.records import RECORDS_NAME, read_records
from filtering.settings import FilterSettings
from tests.filter.fakes import MODEL, add_photos, fake_classify, fake_detect


class CountingDetector:
    def __init__(self) -> None:
        self.seen = 0

    def __call__(self, images: Sequence[Image.Image]) -> list[list[Box]]:
        self.seen += len(images)
        return fake_detect(images)


def _fates(settings: FilterSettings) -> dict[str, tuple[object, ...]]:
    records = read_records(settings.final(MODEL) / RECORDS_NAME).by_id
    keys = ("fate", "classifier_label", "box", "pixel_sha256", "output")
    return {i: tuple(r.get(k) for k in keys) for i, r in records.items()}


def test_waiting_crops_are_classified_without_a_second_detection(tmp_path: Path) -> None:
    settings = FilterSettings(data=tmp_path / "data", batch=3)
    add_photos(settings, range(7))
    first = CountingDetector()
    run_model(MODEL, settings, Models(detect=first, classify=None))
    assert first.seen == 7
    crops = sorted((settings.crops(MODEL)).iterdir())
    before = {p.name: p.read_bytes() for p in crops}

    again = CountingDetector()
    run = run_model(MODEL, settings, Models(detect=again, classify=fake_classify))
    assert again.seen == 0  # every waiting crop came from its file
    assert len(run.done) == 7
    assert {p.name: p.read_bytes() for p in crops} == before  # not saved again
    assert not any((settings.final(MODEL) / "to_label").iterdir())

    fresh = FilterSettings(data=tmp_path / "fresh", batch=3)
    add_photos(fresh, range(7))
    run_model(MODEL, fresh, Models(detect=fake_detect, classify=fake_classify))
    assert _fates(settings) == _fates(fresh)  # paths are relative to each data folder


def test_a_waiting_crop_whose_file_is_gone_is_done_from_its_photo(tmp_path: Path) -> None:
    settings = FilterSettings(data=tmp_path / "data", batch=3)
    add_photos(settings, range(4))
    run_model(MODEL, settings, Models(detect=fake_detect, classify=None))
    (settings.crops(MODEL) / "p02.jpg").unlink()
    (settings.crops(MODEL) / "p03.jpg").write_bytes(b"not a jpeg")

    again = CountingDetector()
    run_model(MODEL, settings, Models(detect=again, classify=fake_classify))
    assert again.seen == 2  # p02 and p03, from their photos
    records = read_records(settings.final(MODEL) / RECORDS_NAME).by_id
    assert all(r["fate"] in ("clean", "questionable") for r in records.values())
    with Image.open(settings.crops(MODEL) / "p03.jpg") as crop:
        assert crop.size == tuple(records["p03"]["crop_size"])


def test_a_new_copy_of_a_waiting_photo_is_still_its_duplicate(tmp_path: Path) -> None:
    settings = FilterSettings(data=tmp_path / "data", batch=3)
    add_photos(settings, range(3))
    run_model(MODEL, settings, Models(detect=fake_detect, classify=None))
    raw = settings.raw(MODEL)
    (raw / "p99.png").write_bytes((raw / "p01.png").read_bytes())

    run_model(MODEL, settings, Models(detect=fake_detect, classify=fake_classify))
    records = read_records(settings.final(MODEL) / RECORDS_NAME).by_id
    assert (records["p99"]["fate"], records["p99"]["duplicate_of"]) == ("duplicate", "p01")
