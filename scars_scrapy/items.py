"""The crawler's one item: a single photo of a listing, keyed by the photo's own ID."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ImageItem:
    image_id: str
    folder: str  # the store sub-folder (the model slug), so pipelines need no site knowledge
    image_urls: list[str]
    listing_id: str
    listing_url: str
    make: str | None = None
    model: str | None = None
    version: str | None = None
    first_registration: str | None = None
    price: int | None = None
    # Filled by the images pipeline.
    images: list[dict[str, Any]] = field(default_factory=list)
    width: int | None = None
    height: int | None = None
