"""A local copy of AutoScout24 for tests and the benchmark, built from the recorded pages.

Search pages and detail pages are the recorded HTML with their `__NEXT_DATA__` replaced by a
generated inventory; the picture host is rewritten to the server itself, which answers with
real WebP/JPEG bytes generated from the image ID. Faults (blocks, errors, bad images) are
one-shot and keyed by a substring of the request path.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

_SCRIPT = re.compile(r'(<script id="__NEXT_DATA__"[^>]*>)(.*?)(</script>)', re.S)
# The default model's search path; `Inventory.searches` lists every model the site knows.
VOGUE = "/lst/land-rover/range-rover/ve_vogue"
IMAGE_PATH = re.compile(
    r"^/pictures/listing-images/([0-9a-f-]{36})_([0-9a-f-]{36})\.jpg/(\d+)x(\d+)\.(webp|jpg)$"
)


def guid(*parts: object) -> str:
    digest = hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


@dataclass
class Listing:
    id: str
    year: int | None  # None: a new car, with no first registration
    price: int | None  # None: price on request, in no price band of the search
    image_ids: list[str]
    status: str = "live"  # live | sold (410) | sold_redirect (301 to search) | moved (308)
    extra_images: list[str] = field(default_factory=list)  # full URLs served as they are
    searches: tuple[str, ...] = (VOGUE,)  # the models' search paths it is listed under

    @property
    def url(self) -> str:
        return f"/offers/land-rover-range-rover-vogue-{self.id}"


def image_size(image_id: str) -> tuple[int, int]:
    """The generated picture's size: small, and different per image so the manifest shows it."""
    seed = int(image_id[:4], 16)
    return 48 + seed % 5 * 8, 36 + seed % 3 * 4


def picture(image_id: str, fmt: str) -> bytes:
    seed = bytes.fromhex(image_id[:6])
    image = Image.new("RGB", image_size(image_id), tuple(seed))
    image.paste((255 - seed[0], seed[2], seed[1]), (4, 4, 20, 20))
    out = io.BytesIO()
    image.save(out, "WEBP" if fmt == "webp" else "JPEG", quality=85)
    return out.getvalue()


class Inventory:
    """The listings of the site's models (by default land-rover / range-rover / vogue alone)
    and how pages show them."""

    def __init__(self, recorded: Path, page_cap: int) -> None:
        de = recorded / "de-2026-07"
        self.search_shell = (de / "search_page.html").read_text(encoding="utf-8")
        self.detail_shell = (de / "listing_page.html").read_text(encoding="utf-8")
        self.search_props = _props(self.search_shell)
        self.detail_props = _props(self.detail_shell)
        self.listing_templates = json.loads((recorded / "com-2026" / "listings.json").read_text())
        self.page_cap = page_cap
        self.searches = {VOGUE}  # the search path of every model the site knows
        self.listings: dict[str, Listing] = {}
        self.sponsored: Listing | None = None
        self.origin = ""

    def add(
        self, year: int | None, price: int | None, images: int, status: str = "live",
        searches: tuple[str, ...] = (VOGUE,),
    ) -> Listing:  # fmt: skip
        number = len(self.listings)
        listing_id = guid("listing", number)
        image_ids = [guid("image", number, i) for i in range(images)]
        listing = Listing(listing_id, year, price, image_ids, status, searches=searches)
        self.listings[listing_id] = listing
        self.searches.update(searches)
        return listing

    def picture_url(self, listing: Listing, image_id: str, size: str = "1280x960") -> str:
        return f"{self.origin}/pictures/listing-images/{listing.id}_{image_id}.jpg/{size}.webp"

    def search(self, path: str, query: dict[str, list[str]]) -> dict[str, Any]:
        def number(key: str, default: int) -> int:
            return int(query.get(key, [default])[0])

        year_from, year_to = number("fregfrom", 0), number("fregto", 9999)
        low, high = number("pricefrom", 0), number("priceto", 10**9)
        any_price = "pricefrom" not in query and "priceto" not in query

        any_year = "fregfrom" not in query and "fregto" not in query

        def in_band(price: int | None) -> bool:
            return any_price if price is None else low <= price <= high

        def in_years(year: int | None) -> bool:
            return any_year if year is None else year_from <= year <= year_to

        matching = [
            item for item in self.listings.values()
            if path in item.searches and in_years(item.year) and in_band(item.price)
            and item is not self.sponsored
        ]  # fmt: skip
        page = number("page", 1)
        shown = matching[(page - 1) * 20 : page * 20] if page <= self.page_cap else []
        if shown and self.sponsored is not None and path in self.sponsored.searches:
            shown = [self.sponsored, *shown]  # pinned on every page, as the site does
        props = copy.copy(self.search_props)
        props["numberOfResults"] = len(matching)
        props["numberOfPages"] = min(self.page_cap, math.ceil(len(matching) / 20))
        props["listings"] = [self._search_listing(item, n) for n, item in enumerate(shown)]
        return props

    def _search_listing(self, listing: Listing, number: int) -> dict[str, Any]:
        raw = copy.deepcopy(self.listing_templates[number % len(self.listing_templates)])
        raw["id"], raw["url"] = listing.id, listing.url
        raw["images"] = [self.picture_url(listing, i, "250x188") for i in listing.image_ids]
        raw["tracking"]["firstRegistration"] = "" if listing.year is None else f"06-{listing.year}"
        raw["tracking"]["price"] = "" if listing.price is None else str(listing.price)
        return raw

    def details(self, listing: Listing) -> dict[str, Any]:
        props = copy.copy(self.detail_props)
        raw = copy.deepcopy(props["listingDetails"])
        raw["id"] = listing.id
        raw["images"] = [self.picture_url(listing, i) for i in listing.image_ids]
        raw["images"] += listing.extra_images
        raw["vehicle"] |= {"make": "Land Rover", "model": "Range Rover"}
        raw["vehicle"] |= {"modelVersionInput": f"Vogue {listing.year or 'new'}"}
        registered = None if listing.year is None else f"{listing.year}-06-01"
        raw["vehicle"]["firstRegistrationDateRaw"] = registered
        raw["prices"]["public"]["priceRaw"] = listing.price
        props["listingDetails"] = raw
        return props

    def render(self, shell: str, props: dict[str, Any]) -> bytes:
        data = {"props": {"pageProps": props}, "page": "/lst/[...slug]", "query": {}}
        text = json.dumps(data).replace("</", "<\\/")
        return _SCRIPT.sub(lambda m: m.group(1) + text + m.group(3), shell, count=1).encode()


def _props(shell: str) -> dict[str, Any]:
    match = _SCRIPT.search(shell)
    assert match is not None
    return json.loads(match.group(2))["props"]["pageProps"]


class TestSite:
    """The server's state: inventory, one-shot faults, the log of every request it answered."""

    __test__ = False  # not a pytest class

    def __init__(self, inventory: Inventory, latency: float = 0.0) -> None:
        self.inventory = inventory
        self.latency = latency
        self.faults: list[tuple[str, str, Any]] = []  # (path substring, kind, argument)
        self.persistent: dict[str, tuple[str, Any]] = {}  # image ID -> (kind, argument)
        self.hits: list[tuple[float, str]] = []  # (arrival time, request target)
        self.lock = threading.Lock()
        self._pictures: dict[tuple[str, str], bytes] = {}
        self.pool: list[bytes] = []  # when set, pictures come from here (the benchmark's photos)
        self.page_cache: dict[str, bytes] | None = None  # when set, detail pages render once

    def fault(self, path_part: str, kind: str, argument: Any = None) -> None:
        self.faults.append((path_part, kind, argument))

    def take_fault(self, target: str) -> tuple[str, Any] | None:
        with self.lock:
            for index, (part, kind, argument) in enumerate(self.faults):
                if part in target:
                    del self.faults[index]
                    return kind, argument
        return None

    def picture(self, image_id: str, fmt: str) -> bytes:
        if self.pool:
            return self.pool[int(image_id[:8], 16) % len(self.pool)]
        key = (image_id, fmt)
        if key not in self._pictures:
            self._pictures[key] = picture(image_id, fmt)
        return self._pictures[key]

    def log(self, target: str) -> None:
        with self.lock:
            self.hits.append((time.monotonic(), target))

    def paths(self, prefix: str) -> list[str]:
        with self.lock:
            return [target for _, target in self.hits if target.startswith(prefix)]
