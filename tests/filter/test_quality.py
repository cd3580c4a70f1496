"""The quality stage: spoiled copies of a sharp, well exposed crop are doubted for the right
reason; a doubted clean crop ends in questionable, never rejected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageEnhance, ImageFilter

from filtering.pipeline import run_model
from filtering.quality import doubts, measure
from filtering.records import read_records
from filtering.settings import FilterSettings
from tests.filter.fakes import MODEL, MODELS, noise_photo
from tests.filter.scenes import bus_scene


def _bus(bus_photo: Path) -> Image.Image:
    return bus_scene(bus_photo).crop((230, 200, 1070, 800))


SPOILED: dict[str, Callable[[Image.Image], Image.Image]] = {
    "blurred": lambda image: image.filter(ImageFilter.GaussianBlur(4)),
    "too_dark": lambda image: ImageEnhance.Brightness(image).enhance(0.15),
    "too_bright": lambda image: ImageEnhance.Brightness(image).enhance(4.0),
    "low_detail": lambda image: ImageEnhance.Contrast(image).enhance(0.1),
}


def test_a_sharp_well_exposed_crop_has_no_doubt(bus_photo: Path) -> None:
    assert doubts(measure(_bus(bus_photo)), FilterSettings()) == []


@pytest.mark.parametrize("reason", sorted(SPOILED))
def test_each_spoiling_is_named(bus_photo: Path, reason: str) -> None:
    assert reason in doubts(measure(SPOILED[reason](_bus(bus_photo))), FilterSettings())


def test_a_threshold_at_its_off_value_doubts_nothing(bus_photo: Path) -> None:
    off = FilterSettings(min_sharpness=0, min_brightness=0, max_highlights=1, min_detail=0)
    for spoil in SPOILED.values():
        assert doubts(measure(spoil(_bus(bus_photo))), off) == []


def test_a_blurred_clean_crop_goes_to_questionable_with_its_reason(tmp_path: Path) -> None:
    settings = FilterSettings(data=tmp_path / "data")
    raw = settings.raw(MODEL)
    raw.mkdir(parents=True)
    noise_photo(1).save(raw / "sharp.png")  # reddish: the fake classifier's sure front
    noise_photo(3).filter(ImageFilter.GaussianBlur(3)).save(raw / "soft.png")
    run_model(MODEL, settings, MODELS)
    records = read_records(settings.final(MODEL) / "records.jsonl").by_id
    assert (records["sharp"]["fate"], records["sharp"]["reason"]) == ("clean", None)
    soft = records["soft"]
    assert (soft["fate"], soft["reason"], soft["doubts"]) == (
        "questionable",
        "blurred",
        ["blurred"],
    )
    assert soft["quality"]["sharpness"] < settings.min_sharpness
    assert (settings.final(MODEL) / "questionable" / "soft.jpg").exists()
