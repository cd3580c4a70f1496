"""The split and the balancing, on plain items: stratified, seeded, nothing lost or invented."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from filtering.classes import CLASSIFIER_CLASSES
from filtering.training.labelled import DataError, Item
from filtering.training.split import balanced, k_folds, write_layout


def items(counts: dict[str, int]) -> list[Item]:
    return [
        Item(Path(f"/crops/{c}/{c}{k:03d}.jpg"), c) for c, n in counts.items() for k in range(n)
    ]


UNEVEN = {"front": 50, "front_angled": 10, "other": 23}


def test_every_item_is_held_back_exactly_once_and_classes_are_spread() -> None:
    folds = k_folds(items(UNEVEN), CLASSIFIER_CLASSES, 3, seed=0)
    held = [i for fold in folds for i in fold.val]
    assert sorted(held, key=str) == sorted(items(UNEVEN), key=str)
    for fold in folds:
        assert set(fold.train) == set(items(UNEVEN)) - set(fold.val)
        counts = Counter(i.label for i in fold.val)
        for label, n in UNEVEN.items():  # each class dealt out evenly: 50 -> 17/17/16
            assert counts[label] in (n // 3, n // 3 + 1)
    assert sorted(len(f.val) for f in folds) == [27, 28, 28]


def test_the_same_seed_gives_the_same_folds_whatever_the_input_order() -> None:
    first = k_folds(items(UNEVEN), CLASSIFIER_CLASSES, 3, seed=3)
    again = k_folds(items(UNEVEN)[::-1], CLASSIFIER_CLASSES, 3, seed=3)
    other = k_folds(items(UNEVEN), CLASSIFIER_CLASSES, 3, seed=4)
    assert first == again
    assert set(first[0].val) != set(other[0].val)


def test_a_class_of_two_trains_on_one_in_every_fold() -> None:
    folds = k_folds(items({**UNEVEN, "front": 2}), CLASSIFIER_CLASSES, 3, seed=0)
    assert all(any(i.label == "front" for i in fold.train) for fold in folds)


def test_one_image_in_a_class_is_too_few() -> None:
    with pytest.raises(DataError, match="class front_angled has 1 readable image"):
        k_folds(items({**UNEVEN, "front_angled": 1}), CLASSIFIER_CLASSES, 3, 0)


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
