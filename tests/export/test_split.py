"""The listing-grouped split, on small made-up items."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest

from filtering.exporting.source import Item
from filtering.exporting.split import allocate, assign_splits

FRACTIONS = {"train": 0.8, "val": 0.1, "test": 0.1}
SETS = ("clean", "questionable")


def items(listings: int, photos: int = 3, questionable_every: int = 4) -> list[Item]:
    """`listings` listings of `photos` images; every few listings' photos are questionable."""
    made = []
    for number in range(listings):
        kind = "questionable" if number % questionable_every == 0 else "clean"
        for photo in range(photos):
            listing = {"listing_id": f"L{number}"}
            made.append(Item(f"L{number}-{photo}", kind, Path("x.jpg"), None, listing, None))
    return made


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (10, {"train": 8, "val": 1, "test": 1}),
        (3, {"train": 1, "val": 1, "test": 1}),
        (2, {"train": 1, "val": 1, "test": 0}),
        (1, {"train": 1, "val": 0, "test": 0}),
        (0, {"train": 0, "val": 0, "test": 0}),
        (101, {"train": 81, "val": 10, "test": 10}),
    ],
)
def test_allocate_shares_listings_and_gives_each_split_one_where_it_can(
    count: int, expected: dict[str, int]
) -> None:
    assert allocate(count, FRACTIONS) == expected
    assert sum(allocate(count, FRACTIONS).values()) == count


def test_no_listing_is_in_two_splits_and_each_set_is_in_each_split() -> None:
    made = items(200)
    split_of = assign_splits(made, FRACTIONS, SETS, seed=0)
    splits_of = defaultdict(set)
    for item in made:
        splits_of[item.listing["listing_id"]].add(split_of[item.image_id])
    assert all(len(splits) == 1 for splits in splits_of.values())
    per_split = Counter((split_of[i.image_id], i.set) for i in made)
    assert per_split[("train", "clean")] == 3 * 120 and per_split[("val", "clean")] == 3 * 15
    assert (
        per_split[("train", "questionable")] == 3 * 40
        and per_split[("test", "questionable")] == 3 * 5
    )


def test_the_seed_decides_and_listings_keep_their_split_as_more_come() -> None:
    made = items(200)
    first = assign_splits(made, FRACTIONS, SETS, seed=0)
    assert assign_splits(list(reversed(made)), FRACTIONS, SETS, seed=0) == first
    assert assign_splits(made, FRACTIONS, SETS, seed=1) != first
    grown = assign_splits(items(210), FRACTIONS, SETS, seed=0)
    moved = sum(grown[image_id] != split for image_id, split in first.items())
    assert moved < len(first) // 10  # cut points move a little; most listings stay


def test_an_image_without_a_listing_is_a_group_of_its_own() -> None:
    lone = [Item(f"x{n}", "clean", Path("x.jpg"), None, None, None) for n in range(10)]
    split_of = assign_splits(lone, FRACTIONS, SETS, seed=0)
    assert Counter(split_of.values()) == {"train": 8, "val": 1, "test": 1}
