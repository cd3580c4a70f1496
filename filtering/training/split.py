"""Cross-validation folds: stratified by class, reproducible from a seed, laid out for Ultralytics.

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


def k_folds(items: Sequence[Item], classes: Sequence[str], k: int, seed: int) -> list[Split]:
    """`k` splits whose held-back parts cover every item once, each class dealt out in turn.

    Each fold trains on the rest and predicts its held-back part: every crop is then predicted
    by a model that never saw it, which is what the report and the calibration need.
    """
    if k > len(items):  # a fold with nothing held back would check nothing
        raise DataError(
            f"--folds {k} is more than the {len(items)} labelled crops: every fold holds at least "
            f"one back, so give --folds {len(items)} or fewer (or label more crops)"
        )
    rng = random.Random(seed)
    held: list[list[Item]] = [[] for _ in range(k)]
    dealt = 0
    for label in classes:
        members = sorted((i for i in items if i.label == label), key=lambda i: i.path.name)
        if len(members) < 2:
            raise DataError(
                f"too few images: class {label} has {len(members)} readable image(s); it needs "
                "at least 2 (one to train on while another is held back to check the model)"
            )
        rng.shuffle(members)
        for item in members:  # continuing where the last class stopped keeps the folds even
            held[dealt % k].append(item)
            dealt += 1
    splits = []
    for part in held:
        out = set(part)
        splits.append(Split(sorted((i for i in items if i not in out), key=_order), part))
    return splits


def _order(item: Item) -> tuple[str, str]:
    return item.label, item.path.name


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
    """`root/part/<class>/` with one entry per item; repeated names (an item repeated by the
    balancing, or two folders' files of one name) get numbered names."""
    for label in classes:
        (root / part / label).mkdir(parents=True, exist_ok=True)
    seen: dict[tuple[str, str], int] = {}
    for item in items:
        key = (item.label, item.path.name)
        copy = seen.get(key, 0)
        seen[key] = copy + 1
        name = item.path.name if copy == 0 else f"{item.path.stem}.{copy}{item.path.suffix}"
        _link(item.path, root / part / item.label / name)


def _link(source: Path, target: Path) -> None:
    try:
        os.symlink(source.resolve(), target)
    except OSError:  # no symlinks here (some Windows set-ups, some file systems): copy instead
        shutil.copyfile(source, target)
