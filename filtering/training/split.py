"""The train/val split: stratified by class, reproducible from a seed, laid out for Ultralytics.

The layout (`<root>/train/<class>/`, `<root>/val/<class>/`) holds links to the user's files (copies
where links are not possible), so the user's folder is never touched.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from filtering.training.labelled import DataError, Item


@dataclass(frozen=True)
class Split:
    train: list[Item]
    val: list[Item]


def stratified_split(
    items: Sequence[Item], classes: Sequence[str], val_fraction: float, seed: int
) -> Split:
    """Each class split on its own, so val has every class in its share; same seed, same split."""
    rng = random.Random(seed)
    train: list[Item] = []
    val: list[Item] = []
    for label in classes:
        members = sorted((i for i in items if i.label == label), key=lambda i: i.path.name)
        if len(members) < 2:
            raise DataError(
                f"too few images to split: class {label} has {len(members)} readable image(s); "
                "it needs at least 2 (one to train on, one to check the model with)"
            )
        rng.shuffle(members)
        n_val = min(len(members) - 1, max(1, round(len(members) * val_fraction)))
        val += members[:n_val]
        train += members[n_val:]
    return Split(train, val)


def balanced(items: Sequence[Item], classes: Sequence[str], seed: int) -> list[Item]:
    """Smaller classes repeated (drawn without replacement, then again) up to the largest one.

    Ultralytics' classification loss has no class weights, so oversampling is how a class with
    few crops gets as much say in each epoch as a common one.
    """
    rng = random.Random(seed)
    by_class = {c: [i for i in items if i.label == c] for c in classes}
    target = max(len(members) for members in by_class.values())
    out: list[Item] = []
    for members in by_class.values():
        extra: list[Item] = []
        while members and len(members) + len(extra) < target:
            extra += rng.sample(members, min(len(members), target - len(members) - len(extra)))
        out += members + extra
    return out


def write_layout(root: Path, part: str, items: Sequence[Item], classes: Sequence[str]) -> None:
    """`root/part/<class>/` with one entry per item; repeated items get numbered names."""
    for label in classes:
        (root / part / label).mkdir(parents=True, exist_ok=True)
    seen: dict[Path, int] = {}
    for item in items:
        copy = seen.get(item.path, 0)
        seen[item.path] = copy + 1
        name = item.path.name if copy == 0 else f"{item.path.stem}.{copy}{item.path.suffix}"
        _link(item.path, root / part / item.label / name)


def _link(source: Path, target: Path) -> None:
    try:
        os.symlink(source.resolve(), target)
    except OSError:  # no symlinks here (some Windows set-ups, some file systems): copy instead
        shutil.copyfile(source, target)
