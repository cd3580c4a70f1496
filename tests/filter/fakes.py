"""Small fake models for the stages (they take injected callables) and the photos they suit:
different noise for each seed, red or blue, so every decision is known in advance."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from filtering.batch import Models
from filtering.classify import Verdict
from filtering.detect import Box
from filtering.settings import FilterSettings

MODEL = "noise-car"


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
    blocks = np.random.default_rng(seed).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    blocks[..., 2 if seed % 2 else 0] //= 3
    return Image.fromarray(blocks).resize((128, 96), Image.Resampling.NEAREST)


def add_photos(settings: FilterSettings, seeds: range) -> None:
    raw = settings.raw(MODEL)
    raw.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        noise_photo(seed).save(raw / f"p{seed:02d}.png")
