"""The split and the balancing, on plain items: stratified, seeded, nothing lost or invented."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from filtering.classes import CLASSIFIER_CLASSES
from filtering.training.labelled import DataError, Item
from filtering.training.split import balanced, stratified_split, write_layout


def items(counts: dict[str, int]) -> list[Item]:
    return [
        Item(Path(f"/crops/{c}/{c}{k:03d}.jpg"), c) for c, n in counts.items() for k in range(n)
    ]


UNEVEN = {"front": 50, "front_angled": 10, "other": 23}


def test_each_class_gives_its_share_to_val() -> None:
    split = stratified_split(items(UNEVEN), CLASSIFIER_CLASSES, 0.2, seed=0)
    assert Counter(i.label for i in split.val) == {"front": 10, "front_angled": 2, "other": 5}
    assert sorted(split.train + split.val, key=str) == sorted(items(UNEVEN), key=str)


def test_the_same_seed_gives_the_same_split_whatever_the_input_order() -> None:
    first = stratified_split(items(UNEVEN), CLASSIFIER_CLASSES, 0.2, seed=3)
    again = stratified_split(items(UNEVEN)[::-1], CLASSIFIER_CLASSES, 0.2, seed=3)
    other = stratified_split(items(UNEVEN), CLASSIFIER_CLASSES, 0.2, seed=4)
    assert first == again
    assert set(first.val) != set(other.val)


@pytest.mark.parametrize(("n", "fraction", "n_val"), [(2, 0.2, 1), (2, 0.9, 1), (3, 0.5, 2)])
def test_small_classes_keep_one_on_each_side(n: int, fraction: float, n_val: int) -> None:
    split = stratified_split(
        items(dict.fromkeys(CLASSIFIER_CLASSES, n)), CLASSIFIER_CLASSES, fraction, 0
    )
    assert Counter(i.label for i in split.val) == dict.fromkeys(CLASSIFIER_CLASSES, n_val)


def test_one_image_in_a_class_is_too_few() -> None:
    with pytest.raises(DataError, match="class front_angled has 1 readable image"):
        stratified_split(items({**UNEVEN, "front_angled": 1}), CLASSIFIER_CLASSES, 0.2, 0)


def test_balancing_repeats_smaller_classes_up_to_the_largest() -> None:
    original = items(UNEVEN)
    out = balanced(original, CLASSIFIER_CLASSES, seed=0)
    assert Counter(i.label for i in out) == dict.fromkeys(CLASSIFIER_CLASSES, 50)
    assert set(out) == set(original)
    # Drawn without replacement first: no crop of a class is repeated twice before another once.
    copies = Counter(i for i in out if i.label == "other")
    assert set(copies.values()) == {2, 3}


def test_the_layout_links_to_the_files_with_repeats_named_apart(tmp_path: Path) -> None:
    source = tmp_path / "labels" / "front"
    source.mkdir(parents=True)
    (source / "a.jpg").write_bytes(b"jpeg")
    item = Item(source / "a.jpg", "front")
    write_layout(tmp_path / "split", "train", [item, item, item], CLASSIFIER_CLASSES)
    made = sorted(p.name for p in (tmp_path / "split" / "train" / "front").iterdir())
    assert made == ["a.1.jpg", "a.2.jpg", "a.jpg"]
    assert (tmp_path / "split" / "train" / "front" / "a.2.jpg").read_bytes() == b"jpeg"
    assert (tmp_path / "split" / "train" / "other").is_dir()
