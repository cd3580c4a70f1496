"""The crawler's one item: a single photo of a listing, keyed by the photo's own ID."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

from scars_scrapy.site import ListingDetails


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

    @classmethod
    def of_listing(
        cls, details: ListingDetails, listing_url: str, folder: str, image_id: str, url: str
    ) -> Self:
        """The item of one photo (fetched from `url`) of a listing, stored under `folder`."""
        return cls(
            image_id=image_id,
            folder=folder,
            image_urls=[url],
            listing_id=details.id,
            listing_url=listing_url,
            make=details.make,
            model=details.model,
            version=details.version,
            first_registration=details.first_registration,
            price=details.price,
        )
