"""Stage 4's index and hash: the index finds exactly what comparing every pair finds, and the
hash puts resized, re-encoded and slightly cropped copies close, other pictures far.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from filtering import near_dups
from filtering.encoders import PHash
from filtering.files import json_line, write_text_atomic
from filtering.pipeline import run_model
from filtering.placement import best
from filtering.records import RECORDS_NAME, read_records
from filtering.settings import FilterSettings
from tests.filter.fakes import MODEL, MODELS, add_photos, noise_photo
from tests.filter.scenes import bus_scene, empty_scene


def _brute_force(hashes: np.ndarray, distance: int) -> set[tuple[int, int]]:
    bits = np.bitwise_count(hashes[:, None] ^ hashes[None, :])
    rows, cols = np.nonzero(np.triu(bits <= distance, k=1))
    return set(zip(rows.tolist(), cols.tolist(), strict=True))


def _planted(seed: int, count: int = 3000) -> np.ndarray:
    """Random hashes, a quarter of them copies of others with a few bits flipped."""
    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 2**64 - 1, count, dtype=np.uint64, endpoint=True)
    for k in range(count // 4):
        flips = rng.choice(64, int(rng.integers(0, 12)), replace=False)
        mask = np.bitwise_or.reduce(np.left_shift(np.uint64(1), flips.astype(np.uint64)))
        hashes[count - 1 - k] = hashes[k] ^ (mask if len(flips) else np.uint64(0))
    return hashes


@pytest.mark.parametrize("distance", [0, 1, 4, 6, 8, 11])
def test_the_index_finds_what_every_pair_finds(distance: int) -> None:
    hashes = _planted(seed=distance)
    found = {tuple(pair) for pair in near_dups.close_pairs(hashes, distance).tolist()}
    expected = _brute_force(hashes, distance)
    assert expected  # the planted copies make pairs at every distance tried
    assert found == expected


def _components(count: int, pairs: set[tuple[int, int]]) -> list[list[int]]:
    """Connected groups by plain graph search, the check on `groups`."""
    neighbours: dict[int, set[int]] = {i: set() for i in range(count)}
    for i, j in pairs:
        neighbours[i].add(j)
        neighbours[j].add(i)
    seen: set[int] = set()
    found = []
    for start in range(count):
        if start in seen:
            continue
        group, todo = {start}, [start]
        while todo:
            for other in neighbours[todo.pop()] - group:
                group.add(other)
                todo.append(other)
        seen |= group
        found.append(sorted(group))
    return found


@pytest.mark.parametrize("distance", [0, 1, 4, 6, 11])
def test_groups_are_the_connected_pairs(distance: int) -> None:
    hashes = _planted(seed=10 + distance, count=1500)
    hashes[100:140] = hashes[7]  # identical hashes are one picture, merged before comparing
    expected = _components(len(hashes), _brute_force(hashes, distance))
    assert any(len(group) > 40 for group in expected)
    assert near_dups.groups(hashes, distance) == expected


def test_large_buckets_are_compared_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(near_dups, "CELLS", 16 * 40)
    rng = np.random.default_rng(5)
    # 40 hashes that differ only in their lowest 5 bits: one bucket, compared 16 rows at a time.
    hashes = np.uint64(0xA5A5_0F0F_3C3C_0000) | rng.integers(0, 32, 40).astype(np.uint64)
    found = {tuple(pair) for pair in near_dups.close_pairs(hashes, 3).tolist()}
    assert len(found) > 300
    assert found == _brute_force(hashes, 3)
    assert near_dups.groups(hashes, 3) == _components(40, found)


def test_chains_are_one_group_and_far_hashes_their_own() -> None:
    # 0-1 and 1-2 are 3 bits apart, 0-2 are 6: one group by the chain; the last is far from all.
    hashes = np.array([0b000000, 0b000111, 0b111111, 2**64 - 1], dtype=np.uint64)
    assert near_dups.groups(hashes, 3) == [[0, 1, 2], [3]]


def test_a_negative_distance_switches_the_stage_off() -> None:
    assert len(near_dups.close_pairs(np.zeros(10, dtype=np.uint64), -1)) == 0
    assert near_dups.groups(np.zeros(3, dtype=np.uint64), -1) == [[0], [1], [2]]


def test_no_hashes_no_groups() -> None:
    assert near_dups.groups(np.zeros(0, dtype=np.uint64), 6) == []


# The pHash of `_bus_crop`, as computed when this test was written.
PINNED = "b0e697d9066e1a39"


def _reencoded(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _bus_crop(bus_photo: Path) -> Image.Image:
    return bus_scene(bus_photo).crop((230, 200, 1070, 800))


VARIANTS = {
    "smaller": lambda im: im.resize((im.width * 2 // 3, im.height * 2 // 3)),
    "larger": lambda im: im.resize((im.width * 3 // 2, im.height * 3 // 2)),
    "jpeg q40": lambda im: _reencoded(im, 40),
    # The detector re-frames every photo around the car, so crops of two framings of one photo
    # differ by a few per cent at most.
    "cropped 2% all round": lambda im: im.crop((17, 12, im.width - 17, im.height - 12)),
    "cropped 5% on one side": lambda im: im.crop((42, 0, im.width, im.height)),
    "brighter": lambda im: im.point(lambda v: min(255, v + 20)),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_copies_are_near(bus_photo: Path, name: str) -> None:
    original = _bus_crop(bus_photo)
    copy = VARIANTS[name](original)
    assert _distance(original, copy) <= 6


def _mirrored(bus_photo: Path) -> Image.Image:
    return ImageOps.mirror(_bus_crop(bus_photo))


def _no_vehicle(bus_photo: Path) -> Image.Image:
    return empty_scene(3, (840, 600))


def _people(bus_photo: Path) -> Image.Image:
    return Image.open(bus_photo.parent / "zidane.jpg").convert("RGB")


@pytest.mark.parametrize("other", [_mirrored, _no_vehicle, _people])
def test_different_pictures_are_far(bus_photo: Path, other: Callable[[Path], Image.Image]) -> None:
    assert _distance(_bus_crop(bus_photo), other(bus_photo)) > 12


def _distance(a: Image.Image, b: Image.Image) -> int:
    encoder = PHash(6)
    return encoder.distance(encoder.encode(a), encoder.encode(b))


def test_hashes_of_a_committed_picture_do_not_drift(bus_photo: Path) -> None:
    # Pinned so that an upgrade of imagehash, Pillow or numpy cannot change the decisions silently.
    assert PHash(6).encode(_bus_crop(bus_photo)) == PINNED


def test_placed_crops_without_a_code_are_encoded_again_not_dropped(tmp_path: Path) -> None:
    """Records written before this encoder (or by another one) have no `phash`: their crops are
    encoded again from the crop files, so a new copy of a placed photo is still caught."""
    settings = FilterSettings(data=tmp_path / "data", batch=2)
    add_photos(settings, range(3))
    run_model(MODEL, settings, MODELS)
    path = settings.final(MODEL) / RECORDS_NAME
    placed = read_records(path).by_id
    assert all(r["phash"] for r in placed.values())
    without = [{k: v for k, v in r.items() if k != "phash"} for r in placed.values()]
    write_text_atomic(path, "".join(json_line(record) for record in without))
    noise_photo(0).resize((131, 99)).save(settings.raw(MODEL) / "p99.png")  # other pixels

    run_model(MODEL, settings, MODELS)
    after = read_records(path).by_id
    assert (after["p99"]["reason"], after["p99"]["duplicate_of"]) == ("near_duplicate", "p00")
    encoder = PHash(settings.near_duplicate_distance)
    for image_id, record in placed.items():
        assert after[image_id]["fate"] == record["fate"]  # still placed, now with a code again
        assert encoder.distance(after[image_id]["phash"], record["phash"]) <= 2


def test_placed_crops_that_cannot_be_compared_are_named(tmp_path: Path) -> None:
    """A placed record with no code whose crop file is gone cannot be compared: the run says
    which, and the image stays where it is."""
    settings = FilterSettings(data=tmp_path / "data", batch=2)
    add_photos(settings, range(3))
    run_model(MODEL, settings, MODELS)
    path = settings.final(MODEL) / RECORDS_NAME
    placed = read_records(path).by_id
    without = [{k: v for k, v in r.items() if k != "phash"} for r in placed.values()]
    write_text_atomic(path, "".join(json_line(record) for record in without))
    (settings.data / placed["p01"]["crop"]).unlink()
    noise_photo(7).save(settings.raw(MODEL) / "p07.png")  # something new, so the stage runs

    run = run_model(MODEL, settings, MODELS)
    assert len(run.warnings) == 1 and run.warnings[0].startswith("1 placed image(s)")
    assert "p01" in run.warnings[0] and "phash" in run.warnings[0]
    assert read_records(path).by_id["p01"]["fate"] == placed["p01"]["fate"]


def _record(image_id: str, size: int, conf: float, doubts: list[str]) -> dict[str, object]:
    return {
        "image_id": image_id,
        "crop_size": [size, size],
        "classifier_conf": conf,
        "doubts": doubts,
    }


@pytest.mark.parametrize(
    ("records", "kept"),
    [
        ([_record("a", 100, 0.9, []), _record("b", 120, 0.9, [])], "b"),  # the larger
        ([_record("a", 100, 0.9, []), _record("b", 100, 0.95, [])], "b"),  # then the surer
        ([_record("b", 100, 0.9, []), _record("a", 100, 0.9, [])], "a"),  # then the smaller ID
        ([_record("a", 100, 0.9, []), _record("b", 120, 0.99, ["low_detail"])], "a"),
        (
            [
                _record("a", 100, 0.9, ["blurred", "low_detail"]),
                _record("b", 90, 0.9, ["cut_left"]),
            ],
            "b",
        ),
        ([{"image_id": "a", "crop_size": [90, 90]}, _record("b", 80, 0.9, [])], "a"),  # old records
    ],
)
def test_the_crop_kept_of_a_group(records: list[dict[str, object]], kept: str) -> None:
    assert best(records)["image_id"] == kept


def test_a_washed_out_copy_does_not_displace_its_original(tmp_path: Path) -> None:
    """A faded copy a few pixels larger is the same picture with a doubt: the original stays."""
    settings = FilterSettings(data=tmp_path / "data", batch=2)
    add_photos(settings, range(1))
    faded = noise_photo(0).resize((132, 99)).point(lambda v: 118 + v * 20 // 255)
    faded.save(settings.raw(MODEL) / "p01.png")

    run_model(MODEL, settings, MODELS)
    after = read_records(settings.final(MODEL) / RECORDS_NAME).by_id
    assert "low_detail" in after["p01"]["doubts"] and not after["p00"].get("doubts")
    assert after["p01"]["crop_size"][0] > after["p00"]["crop_size"][0]
    assert (after["p01"]["reason"], after["p01"]["duplicate_of"]) == ("near_duplicate", "p00")
    assert after["p00"]["fate"] == "questionable"  # placed: a bluish crop is an angled front
