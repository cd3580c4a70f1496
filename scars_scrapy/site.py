"""What the crawler knows about AutoScout24, as pure functions.

The site's pages are one Next.js application: every search and detail page embeds its whole
data in `<script id="__NEXT_DATA__">`. Nothing here does I/O, so each function is tested
directly against recorded pages.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode, urlsplit

PAGE_DATA_MARKER = b'id="__NEXT_DATA__"'
PAGE_SIZE = 20  # listings per search page; the site ignores larger values
DEFAULT_SITE = "https://www.autoscout24.com"

_NEXT_DATA = re.compile(r'<script id="__NEXT_DATA__"[^>]*>(.*?)</script>', re.S)
_IMAGE = re.compile(
    r"/listing-images/(?P<listing>[0-9a-f-]{36})_(?P<image>[0-9a-f-]{36})\.(?:jpe?g|png)/"
    r"(?P<size>\d+x\d+)\.(?P<fmt>webp|jpe?g)$",
    re.I,
)
_YEAR_MONTH = re.compile(
    r"^(?:(?P<m1>\d{1,2})[-/](?P<y1>\d{4})|(?P<y2>\d{4})-(?P<m2>\d{2})(?:-\d{2})?)$"
)
# Every price band of a year slice that is over the cap; the last one is open-ended.
PRICE_LADDER = (0, 5_000, 10_000, 15_000, 20_000, 30_000, 40_000, 50_000, 75_000, 100_000, 150_000)

PriceBand = tuple[int | None, int | None]
ANY_PRICE: PriceBand = (None, None)


class PageDataError(ValueError):
    """A page whose embedded data is missing or not valid JSON."""


@dataclass(frozen=True)
class ListingRef:
    """One listing as a search page shows it."""

    id: str
    url: str
    first_registration: str | None
    price: int | None


@dataclass(frozen=True)
class SearchPage:
    number_of_results: int
    number_of_pages: int
    listings: tuple[ListingRef, ...]


@dataclass(frozen=True)
class ListingDetails:
    """One listing's detail page: every photo and the facts the manifest records."""

    id: str
    images: tuple[str, ...]
    make: str | None
    model: str | None
    version: str | None
    first_registration: str | None
    price: int | None


def next_data(html: str) -> dict[str, Any]:
    """The `__NEXT_DATA__` object of a page; `PageDataError` if it is absent or malformed."""
    match = _NEXT_DATA.search(html)
    if match is None:
        raise PageDataError("page has no __NEXT_DATA__ script")
    try:
        data = json.loads(match.group(1))
    except json.JSONDecodeError as exc:
        raise PageDataError(f"__NEXT_DATA__ is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("props"), dict):
        raise PageDataError("__NEXT_DATA__ has no props object")
    return data


def page_props(html: str) -> dict[str, Any]:
    props = next_data(html)["props"].get("pageProps")
    if not isinstance(props, dict):
        raise PageDataError("__NEXT_DATA__ has no props.pageProps object")
    return props


def parse_search(props: dict[str, Any]) -> SearchPage:
    """Listings and totals of one search page (`props.pageProps` of `/lst/...`)."""
    listings = tuple(
        _listing_ref(raw) for raw in props.get("listings") or [] if isinstance(raw, dict)
    )
    return SearchPage(
        number_of_results=_int(props.get("numberOfResults")) or 0,
        number_of_pages=_int(props.get("numberOfPages")) or 0,
        listings=tuple(ref for ref in listings if ref.id and ref.url),
    )


def _listing_ref(raw: dict[str, Any]) -> ListingRef:
    tracking = raw.get("tracking") or {}
    return ListingRef(
        id=str(raw.get("id") or ""),
        url=str(raw.get("url") or ""),
        first_registration=year_month(tracking.get("firstRegistration")),
        price=_int(tracking.get("price")),
    )


def parse_details(props: dict[str, Any]) -> ListingDetails | None:
    """The listing of a detail page, or None when the page holds no listing (e.g. sold)."""
    raw = props.get("listingDetails")
    if not isinstance(raw, dict) or not raw.get("id"):
        return None
    vehicle = raw.get("vehicle") or {}
    prices = (raw.get("prices") or {}).get("public") or {}
    return ListingDetails(
        id=str(raw["id"]),
        images=tuple(url for url in raw.get("images") or [] if isinstance(url, str)),
        make=vehicle.get("make"),
        model=vehicle.get("model"),
        version=vehicle.get("modelVersionInput"),
        first_registration=year_month(vehicle.get("firstRegistrationDateRaw")),
        price=_int(prices.get("priceRaw")),
    )


def image_id(url: str) -> str | None:
    """The picture's own ID (`imageGuid`), or None if the URL is not a listing picture."""
    match = _IMAGE.search(urlsplit(url).path)
    return match.group("image").lower() if match else None


def resize_image_url(url: str, size: str, fmt: str) -> str:
    """The same picture at another of the sizes the site serves (the last path segment)."""
    head, _, _ = url.rpartition("/")
    return f"{head}/{size}.{fmt}"


def year_month(value: object) -> str | None:
    """`MM-YYYY` (search) or `YYYY-MM-DD` (detail) as `YYYY-MM`; None if neither."""
    match = _YEAR_MONTH.match(str(value or "").strip())
    if match is None:
        return None
    year, month = match.group("y1") or match.group("y2"), match.group("m1") or match.group("m2")
    return f"{year}-{int(month):02d}"


def _int(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def normalize_site(site: str) -> str:
    """An origin (`scheme://host[:port]`) from a host name or a full origin."""
    text = site.strip()
    parts = urlsplit(text if "://" in text else f"https://{text}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"site {site!r} is not a host name or an http(s) origin")
    if parts.path.strip("/") or parts.query:
        raise ValueError(f"site {site!r} must be an origin without a path")
    return f"{parts.scheme}://{parts.netloc}"


def search_url(
    origin: str,
    make: str,
    model: str,
    version: str | None,
    year: int | None,
    page: int,
    band: PriceBand,
) -> str:
    """A search page of one first-registration year (None: any, or none) and price band; `page`
    counts from 1."""
    path = f"/lst/{make}/{model}" + (f"/ve_{version}" if version else "")
    query: dict[str, str | int] = {"atype": "C", "sort": "standard", "desc": 0}
    if year is not None:
        query |= {"fregfrom": year, "fregto": year}
    query["page"] = page
    if band[0] is not None:
        query["pricefrom"] = band[0]
    if band[1] is not None:
        query["priceto"] = band[1]
    return f"{origin}{path}?{urlencode(query)}"


def band_text(band: PriceBand) -> str:
    """A price band as a person reads it: `any price`, `prices 50,000-74,999`, `prices from
    150,000`."""
    low, high = band
    if high is None:
        return "any price" if low is None else f"prices from {low:,}"
    return f"prices {low or 0:,}-{high:,}"


def split_band(band: PriceBand) -> list[PriceBand]:
    """Smaller price bands covering `band` (bounds inclusive); [] when it cannot be split."""
    low, high = band
    if low is None and high is None:
        edges = PRICE_LADDER
        return [(a, b - 1) for a, b in pairwise(edges)] + [(edges[-1], None)]
    low = low or 0
    if high is None:
        return [(low, low * 2), (low * 2 + 1, None)]
    if high <= low:
        return []
    middle = (low + high) // 2
    return [(low, middle), (middle + 1, high)]


def detail_status(status: int, location: str | None) -> str:
    """`live`, `sold` (410, or a redirect to a search page) or `moved` (a new slug)."""
    if status == 410:
        return "sold"
    if status in (301, 302, 303, 307):
        return "sold" if urlsplit(location or "").path.startswith("/lst") else "moved"
    if status == 308:
        return "moved"
    return "live"
