"""Site parsing over the real recorded AutoScout24 pages (.de HTML and .com JSON)."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from scars_scrapy import site

DE_LISTING = "37d4ccc4-6999-48ef-a92a-2c37232f177d"


def _html(recorded: Path, name: str) -> str:
    return (recorded / "de-2026-07" / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def com_listings(recorded_pages: Path) -> list[dict]:
    return json.loads((recorded_pages / "com-2026" / "listings.json").read_text())


@pytest.fixture(scope="module")
def com_details(recorded_pages: Path) -> list[dict]:
    return json.loads((recorded_pages / "com-2026" / "car_details.json").read_text())


def test_search_page_totals_and_listings(recorded_pages: Path) -> None:
    page = site.parse_search(site.page_props(_html(recorded_pages, "search_page.html")))
    assert (page.number_of_results, page.number_of_pages) == (2093, 108)
    assert len(page.listings) == 20
    assert len({ref.id for ref in page.listings}) == 20
    assert all(ref.url.startswith("/angebote/") and ref.id in ref.url for ref in page.listings)
    assert page.listings[0].first_registration == "2024-05"
    assert page.listings[0].price == 20000


def test_detail_page(recorded_pages: Path) -> None:
    details = site.parse_details(site.page_props(_html(recorded_pages, "listing_page.html")))
    assert details is not None
    assert details.id == DE_LISTING
    assert len(details.images) == 18
    assert (details.make, details.model) == ("BMW", "320")
    assert details.version == "d xDrive Mild-Hybrid Aut."
    assert (details.first_registration, details.price) == ("2024-05", 20000)
    assert all(site.image_id(url) for url in details.images)
    assert len({site.image_id(url) for url in details.images}) == 18


@pytest.mark.parametrize(
    ("index", "listing_id", "images", "make", "first_registration", "price"),
    [
        (0, "117b7cf9-f7e8-449c-bfdd-cfd449484f99", 18, "Fiat", "2022-10", 13270),
        (1, "2fc80bb0-03e3-4d12-bee0-08b5c4dc4bbc", 19, "Fiat", "2022-01", 7880),
        (2, "7bc1efe2-6741-46d9-9af1-9c1e525bdd86", 13, "BMW", "2015-05", 7900),
    ],
)
def test_com_details(
    com_details: list[dict],
    index: int,
    listing_id: str,
    images: int,
    make: str,
    first_registration: str,
    price: int | None,
) -> None:
    details = site.parse_details({"listingDetails": com_details[index]})
    assert details is not None
    assert (details.id, len(details.images), details.make) == (listing_id, images, make)
    assert details.first_registration == first_registration
    assert details.price == price


@pytest.mark.parametrize("prices", [{}, {"public": {}}, {"public": {"priceRaw": None}}, None])
def test_details_without_a_price(com_details: list[dict], prices: dict | None) -> None:
    """Price on request: no price is made up."""
    details = site.parse_details({"listingDetails": com_details[0] | {"prices": prices}})
    assert details is not None and details.price is None


def test_com_search_listings(com_listings: list[dict]) -> None:
    page = site.parse_search({"listings": com_listings, "numberOfResults": 59})
    assert len(page.listings) == 59
    assert len({ref.id for ref in page.listings}) == 54  # sponsored listings repeat
    first = page.listings[0]
    assert (first.id, first.first_registration, first.price) == (
        "f2cb02e6-7631-4a43-a54b-e2d245e86bbf",
        "2012-05",
        2450,
    )


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<html><body>Just a moment...</body></html>", "no __NEXT_DATA__"),
        ('<script id="__NEXT_DATA__" type="application/json">{"props": {</script>', "not valid"),
        ('<script id="__NEXT_DATA__" type="application/json">[1, 2]</script>', "no props"),
        ('<script id="__NEXT_DATA__" type="application/json">{"props": {}}</script>', "pageProps"),
    ],
)
def test_page_data_errors(html: str, message: str) -> None:
    with pytest.raises(site.PageDataError, match=message):
        site.page_props(html)


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"pageQuery": {}}, None),  # a search page served for a sold listing
        ({"listingDetails": None}, None),
        ({"listingDetails": {"id": "x", "images": []}}, ()),
        ({"listingDetails": {"id": "x", "images": ["u", 3, None]}}, ("u",)),
    ],
)
def test_details_edge_cases(props: dict, expected: tuple | None) -> None:
    details = site.parse_details(props)
    assert (details.images if details else None) == expected


LISTING_IMG = (
    "https://prod.pictures.autoscout24.net/listing-images/"
    "37d4ccc4-6999-48ef-a92a-2c37232f177d_14c5fb51-1240-4ad7-b573-eb37b7468d39"
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{LISTING_IMG}.jpg/1280x960.webp", "14c5fb51-1240-4ad7-b573-eb37b7468d39"),
        (f"{LISTING_IMG}.png/250x188.webp", "14c5fb51-1240-4ad7-b573-eb37b7468d39"),
        (f"{LISTING_IMG.upper()}.JPG/250x188.jpg", "14c5fb51-1240-4ad7-b573-eb37b7468d39"),
        (f"{LISTING_IMG}.jpg/1280x960.webp?x=1", "14c5fb51-1240-4ad7-b573-eb37b7468d39"),
        (f"{LISTING_IMG}.jpg", None),
        ("https://prod.pictures.autoscout24.net/listing-images/../etc.jpg/1x1.webp", None),
        ("https://www.autoscout24.com/assets/logo.svg", None),
    ],
)
def test_image_id(url: str, expected: str | None) -> None:
    assert site.image_id(url) == expected


@pytest.mark.parametrize(
    ("size", "fmt", "tail"),
    [("1280x960", "webp", "/1280x960.webp"), ("720x540", "jpg", "/720x540.jpg")],
)
def test_resize_image_url(size: str, fmt: str, tail: str) -> None:
    resized = site.resize_image_url(f"{LISTING_IMG}.jpg/250x188.webp", size, fmt)
    assert resized == f"{LISTING_IMG}.jpg{tail}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("05-2012", "2012-05"),
        ("5-2012", "2012-05"),
        ("2022-10-01", "2022-10"),
        ("2022-10", "2022-10"),
        ("", None),
        (None, None),
        ("new", None),
    ],
)
def test_year_month(value: object, expected: str | None) -> None:
    assert site.year_month(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("www.autoscout24.de", "https://www.autoscout24.de"),
        ("https://www.autoscout24.com/", "https://www.autoscout24.com"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ],
)
def test_normalize_site(value: str, expected: str) -> None:
    assert site.normalize_site(value) == expected


@pytest.mark.parametrize("value", ["ftp://example.org", "https://", "https://a.example/lst"])
def test_normalize_site_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="site"):
        site.normalize_site(value)


@pytest.mark.parametrize(
    ("version", "band", "expected"),
    [
        (
            None,
            (None, None),
            "/lst/bmw/320?atype=C&sort=standard&desc=0&fregfrom=2020&fregto=2020&page=3",
        ),
        (
            "vogue",
            (0, 4999),
            "/lst/bmw/320/ve_vogue?atype=C&sort=standard&desc=0&fregfrom=2020"
            "&fregto=2020&page=3&pricefrom=0&priceto=4999",
        ),
        (
            None,
            (150000, None),
            "/lst/bmw/320?atype=C&sort=standard&desc=0&fregfrom=2020"
            "&fregto=2020&page=3&pricefrom=150000",
        ),
    ],
)
def test_search_url(version: str | None, band: site.PriceBand, expected: str) -> None:
    url = site.search_url("https://x.example", "bmw", "320", version, 2020, 3, band)
    assert url == "https://x.example" + expected


def test_search_url_without_a_year() -> None:
    url = site.search_url("https://x.example", "bmw", "320", None, None, 1, site.ANY_PRICE)
    assert url == "https://x.example/lst/bmw/320?atype=C&sort=standard&desc=0&page=1"


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        ((0, 100), [(0, 50), (51, 100)]),
        ((150000, None), [(150000, 300000), (300001, None)]),
        ((7, 7), []),
    ],
)
def test_split_band(band: site.PriceBand, expected: list[site.PriceBand]) -> None:
    assert site.split_band(band) == expected


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        ((None, None), "any price"),
        ((50_000, 74_999), "prices 50,000-74,999"),
        ((None, 4_999), "prices 0-4,999"),
        ((150_000, None), "prices from 150,000"),
    ],
)
def test_band_text(band: site.PriceBand, expected: str) -> None:
    assert site.band_text(band) == expected


def test_split_band_ladder_covers_all_prices() -> None:
    bands = site.split_band((None, None))
    assert bands[0][0] == 0 and bands[-1][1] is None
    for (_, high), (low, _) in pairwise(bands):
        assert low == high + 1


@pytest.mark.parametrize(
    ("status", "location", "expected"),
    [
        (200, None, "live"),
        (410, None, "sold"),
        (301, "https://www.autoscout24.com/lst/bmw/320", "sold"),
        (301, "/offers/bmw-320-new-slug-37d4ccc4", "moved"),
        (308, "/offers/bmw-320-new-slug-37d4ccc4", "moved"),
    ],
)
def test_detail_status(status: int, location: str | None, expected: str) -> None:
    assert site.detail_status(status, location) == expected
