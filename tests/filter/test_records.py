"""The one record store: a filtering run killed mid-write, then a review, then another run,
and nothing is lost. The runs use small fake models (the stages take injected callables), so the
kill can land exactly on each write of the run."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from filtering import files
from filtering.classify import Verdict
from filtering.detect import Box
from filtering.pipeline import run_model
from filtering.records import read_records
from filtering.settings import FilterSettings
from filtering.stages import Models
from review_tool.session import ReviewSession, SessionConfig

MODEL = "noise-car"


class Killed(BaseException):
    """Stands for SIGKILL: nothing of the run after it happens (not an Exception: no handler)."""


def fake_detect(images: Sequence[Image.Image]) -> list[list[Box]]:
    """One vehicle in the middle of every photo, clear of the edges."""
    boxes = []
    for image in images:
        w, h = image.size
        boxes.append([Box(0.2 * w, 0.2 * h, 0.8 * w, 0.8 * h, conf=0.9, cls="car")])
    return boxes


def fake_classify(crops: Sequence[Image.Image]) -> list[Verdict]:
    """Reddish crops are sure fronts (clean), the others angled fronts (questionable)."""
    means = [np.asarray(crop).reshape(-1, 3).mean(axis=0) for crop in crops]
    return [Verdict("front", 0.95) if r > b else Verdict("front_angled", 0.7) for r, _, b in means]


MODELS = Models(detect=fake_detect, classify=fake_classify)


def noise_photo(seed: int) -> Image.Image:
    """Different noise for every seed (never near-duplicates); red or blue by the seed's parity."""
    pixels = np.random.default_rng(seed).integers(0, 120, (96, 128, 3), dtype=np.uint8)
    pixels[..., 0 if seed % 2 else 2] += 120
    return Image.fromarray(pixels)


def add_photos(settings: FilterSettings, seeds: range) -> None:
    raw = settings.raw(MODEL)
    raw.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        noise_photo(seed).save(raw / f"p{seed:02d}.png")


@pytest.fixture
def fake_settings(tmp_path: Path) -> FilterSettings:
    return FilterSettings(data=tmp_path / "data", batch=2)


@pytest.fixture
def killed_at_write(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    """`killed_at_write(n)`: of the appends from now on, the n-th (from 0) writes half its bytes
    and the run dies there, as a kill mid-write leaves the file."""
    left: list[int] = []
    real_write = files._write

    def write(file: Any, data: bytes) -> None:
        if left and left[0] == 0:
            left.clear()
            real_write(file, data[: len(data) // 2])
            file.flush()
            raise Killed
        if left:
            left[0] -= 1
        real_write(file, data)

    monkeypatch.setattr(files, "_write", write)
    yield lambda count: left.append(count)


def records_path(settings: FilterSettings) -> Path:
    return settings.final(MODEL) / "records.jsonl"


def test_a_review_move_after_a_torn_line_is_kept(fake_settings: FilterSettings) -> None:
    """A run killed mid-write left a torn last line: the review's move must not join it."""
    add_photos(fake_settings, range(4))
    run_model(MODEL, fake_settings, MODELS)
    with records_path(fake_settings).open("a") as records:
        records.write('{"image_id": "p09", "fate": "cand')  # what a kill mid-write leaves
    moved = sorted(p.stem for p in (fake_settings.final(MODEL) / "clean").glob("*.jpg"))
    session = ReviewSession(SessionConfig(folder=fake_settings.final(MODEL)))
    session.decide([moved[0]], "rejected")
    assert len(session.apply().moved) == 1

    lines = records_path(fake_settings).read_text().splitlines()
    assert lines[-2] == '{"image_id": "p09", "fate": "cand'  # the torn line stays one line
    assert json.loads(lines[-1])["image_id"] == moved[0]
    read = read_records(records_path(fake_settings))
    assert read.bad_lines == 1
    assert (read.by_id[moved[0]]["fate"], read.by_id[moved[0]]["stage"]) == ("rejected", "review")


def review(settings: FilterSettings) -> dict[str, str]:
    """Reject the first clean crop and clear the first questionable one; the moves made."""
    folder = settings.final(MODEL)
    session = ReviewSession(SessionConfig(folder=folder))
    wanted = {}
    for source, target in (("clean", "rejected"), ("questionable", "clean")):
        first = min(p.stem for p in (folder / source).iterdir())
        session.decide([first], target)
        wanted[first] = target
    assert len(session.apply().moved) == 2
    return wanted


def outcome(settings: FilterSettings) -> dict[str, tuple[str, str | None]]:
    read = read_records(records_path(settings))
    return {i: (r["fate"], r.get("output")) for i, r in sorted(read.by_id.items())}


@pytest.mark.parametrize("kill_at", [0, 1, 2, 3])
def test_a_killed_run_then_a_review_then_a_run_loses_nothing(
    fake_settings: FilterSettings,
    tmp_path: Path,
    kill_at: int,
    killed_at_write: Callable[[int], None],
) -> None:
    """Killed at each write of the second run (batches 0 to 2, the placement 3)."""
    add_photos(fake_settings, range(6))
    run_model(MODEL, fake_settings, MODELS)
    add_photos(fake_settings, range(6, 12))
    killed_at_write(kill_at)
    with pytest.raises(Killed):
        run_model(MODEL, fake_settings, MODELS)
    wanted = review(fake_settings)
    after = run_model(MODEL, fake_settings, MODELS)
    assert after.bad_lines == 1  # the torn line, counted and reported

    whole = FilterSettings(data=tmp_path / "whole", batch=2)
    add_photos(whole, range(6))
    run_model(MODEL, whole, MODELS)
    add_photos(whole, range(6, 12))
    run_model(MODEL, whole, MODELS)
    assert review(whole) == wanted
    assert outcome(fake_settings) == outcome(whole)
    for image_id, target in wanted.items():
        assert (fake_settings.final(MODEL) / target / f"{image_id}.jpg").exists()
    assert after.records[next(iter(wanted))]["stage"] == "review"


def test_a_kill_while_the_review_writes_loses_no_earlier_line(
    fake_settings: FilterSettings, killed_at_write: Callable[[int], None]
) -> None:
    add_photos(fake_settings, range(6))
    run_model(MODEL, fake_settings, MODELS)
    before = read_records(records_path(fake_settings)).by_id
    killed_at_write(3)  # two decisions and the applied moves logged, the records torn
    with pytest.raises(Killed):
        review(fake_settings)
    run_model(MODEL, fake_settings, MODELS)
    read = read_records(records_path(fake_settings))
    assert read.bad_lines == 1
    assert set(read.by_id) == set(before)
