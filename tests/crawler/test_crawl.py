"""End-to-end: a real `scrapy crawl autoscout` against the local test site."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image

from sitecopy.site import Inventory, Listing, TestSite, image_size
from tests.crawler.conftest import MODEL, run_crawl, standard_inventory

pytestmark = pytest.mark.timeout(180)


def manifest(folder: Path, torn_lines: int = 0) -> list[dict]:
    """The manifest's records; a crawl killed mid-write may leave `torn_lines` cut-off lines."""
    records, torn = [], 0
    for line in (folder / "manifest.jsonl").read_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            torn += 1
    assert torn <= torn_lines, f"{torn} unreadable manifest lines"
    return records


def expected_records(inventory: Inventory, listings: list[Listing]) -> dict[str, dict]:
    """What the manifest must say about each photo (all but the time it was stored)."""
    records = {}
    for listing in listings:
        slug = "new-slug-" if listing.status == "moved" else "land-rover-range-rover-vogue-"
        for image_id in listing.image_ids:
            width, height = image_size(image_id)
            records[image_id] = {
                "image_id": image_id,
                "listing_id": listing.id,
                "listing_url": f"{inventory.origin}/offers/{slug}{listing.id}",
                "image_url": inventory.picture_url(listing, image_id),
                "make": "Land Rover",
                "model": "Range Rover",
                "version": f"Vogue {listing.year}",
                "first_registration": f"{listing.year}-06",
                "price": listing.price,
                "width": width,
                "height": height,
            }
    return records


def assert_store_matches(folder: Path, expected: dict[str, dict], torn_lines: int = 0) -> None:
    """Exactly one RGB JPEG per expected photo, and one manifest record per stored file."""
    names = {path.name for path in folder.iterdir()}
    assert names == {f"{image_id}.jpg" for image_id in expected} | {"manifest.jsonl"}
    records = manifest(folder, torn_lines)
    assert len(records) == len(expected)
    for record in records:
        path = folder / f"{record['image_id']}.jpg"
        assert record["checksum"] == hashlib.md5(path.read_bytes()).hexdigest()
        assert dt.datetime.fromisoformat(record["stored_at"]).tzinfo == dt.UTC
        del record["checksum"], record["stored_at"]
        assert record == expected[record["image_id"]]
        with Image.open(path) as image:
            image.load()
            assert (image.format, image.mode) == ("JPEG", "RGB")
            assert image.size == (record["width"], record["height"])


def test_crawl_stores_every_photo_once(
    test_site: tuple[TestSite, str], inventory: Inventory, tmp_path: Path
) -> None:
    site, origin = test_site
    listings = standard_inventory(inventory)
    expected = expected_records(inventory, listings)
    store = tmp_path / "raw"

    first = run_crawl(origin, store)
    assert first.returncode == 0, first.log
    assert first.summary["finish_reason"] == "finished"
    assert_store_matches(store / MODEL, expected)
    pictures = site.paths("/pictures/")
    assert sorted(pictures) == sorted(set(pictures)) and len(pictures) == len(expected)
    assert first.count("images/stored") == len(expected) == 340
    # The summary repeats Scrapy's own counters, so one file tells the whole story.
    assert first.count("file_status_count/downloaded") == 340
    assert first.count("item_scraped_count") == 340
    assert first.count("model/range-rover-vogue/images/stored") == 340
    assert first.count("listings/seen") == 124
    assert first.count("listings/duplicate") >= 2  # the sponsored listing on every page
    assert (first.count("listings/sold"), first.count("listings/moved")) == (2, 1)
    assert first.count("listings/no_images") == 1
    assert first.count("slices/split") == 2  # 2021 into the price ladder, then one band again
    assert not any(key.startswith("dropped/") for key in first.summary["counts"])
    assert list((store / ".incoming").iterdir()) == []

    before = (store / MODEL / "manifest.jsonl").read_bytes()
    second = run_crawl(origin, store)
    assert second.returncode == 0, second.log
    assert len(site.paths("/pictures/")) == len(expected)  # not one picture fetched again
    assert second.count("skipped/already_stored") == len(expected)
    assert second.count("file_status_count/downloaded", missing=0) == 0
    assert "): listings 124/124 done (100%), photos 0 stored, 340 skipped" in second.log
    assert (store / MODEL / "manifest.jsonl").read_bytes() == before

    new = inventory.add(2022, 99_000, 3)
    third = run_crawl(origin, store)
    assert third.returncode == 0, third.log
    assert third.count("images/stored") == 3
    assert len(site.paths("/pictures/")) == len(expected) + 3
    assert_store_matches(store / MODEL, expected | expected_records(inventory, [new]))


def test_obeying_robots_txt_reaches_no_listing(
    test_site: tuple[TestSite, str], inventory: Inventory, tmp_path: Path
) -> None:
    """The site's robots.txt (as the real one) disallows detail pages: obeying it stores nothing."""
    site, origin = test_site
    for number in range(3):
        inventory.add(2022, 30_000 + number, 2)
    crawl = run_crawl(
        origin, tmp_path / "raw", args={"years": "2022"}, settings={"ROBOTSTXT_OBEY": "True"}
    )
    assert crawl.returncode == 0, crawl.log
    assert site.paths("/robots.txt") and not site.paths("/offers/")
    assert crawl.count("dropped/page_IgnoreRequest") == 3
    assert crawl.count("images/stored", missing=0) == 0
    assert "ROBOTSTXT_OBEY is True" in crawl.log


def test_listings_without_a_price_are_walked_for(
    test_site: tuple[TestSite, str], inventory: Inventory, tmp_path: Path
) -> None:
    """A year over the cap is split by price, and listings without a price are in none of the
    bands: the year's own search is walked for them. Those past its cap, and a band of one single
    price over the cap (it cannot be split), are counted as out of reach and logged."""
    _, origin = test_site
    # The site lists these first here: the year's first 2 pages (the cap) hold them.
    unpriced = [inventory.add(2021, None, 2) for _ in range(3)]
    priced = [inventory.add(2021, 20_000 + number * 100, 2) for number in range(40)]
    same_price = [inventory.add(2023, 50_000, 2) for _ in range(45)]

    crawl = run_crawl(origin, tmp_path / "raw", args={"years": "2021-2023"})

    assert crawl.returncode == 0, crawl.log
    stored = {path.stem for path in (tmp_path / "raw" / MODEL).glob("*.jpg")}
    assert {i for listing in priced + unpriced for i in listing.image_ids} <= stored
    assert crawl.count("listings/without_price") == len(unpriced)
    assert crawl.count("listings/out_of_reach/no_price_band", missing=0) == 0
    assert crawl.count("listings/out_of_reach/past_page_cap") == len(same_price) - 40
    assert "2023, prices 50,000-50,000: 45 results, over the cap and cannot be split" in crawl.log
    assert crawl.count("listings/seen") == len(priced) + len(unpriced) + 40
    assert crawl.count("listings/duplicate", missing=0) == 0

    late = [inventory.add(2021, None, 2) for _ in range(4)]  # listed after the year's 2 pages
    again = run_crawl(origin, tmp_path / "raw", args={"years": "2021-2023"})
    assert again.returncode == 0, again.log
    assert again.count("listings/out_of_reach/no_price_band") == len(late)
    assert "year 2021: 7 listings are in none of its price bands" in again.log
    assert "year 2021: 4 listings it alone shows are past its 2 pages" in again.log
    stored = {path.stem for path in (tmp_path / "raw" / MODEL).glob("*.jpg")}
    assert not {i for listing in late for i in listing.image_ids} & stored


def test_listings_without_a_registration_year_are_walked_for(
    test_site: tuple[TestSite, str], inventory: Inventory, tmp_path: Path
) -> None:
    """New cars have no first registration, so no year search shows them. With every year
    wanted (no `years` argument), the search without a year filter is walked for them."""
    site, origin = test_site
    # The site lists them first here: the cap (2 pages) of the unfiltered search holds them all.
    new_cars = [inventory.add(None, 90_000 + number, 3) for number in range(25)]
    registered = [inventory.add(2021 + number % 3, 30_000 + number, 2) for number in range(30)]
    wanted = {i for listing in registered + new_cars for i in listing.image_ids}

    crawl = run_crawl(origin, tmp_path / "raw", args={"years": None})

    assert crawl.returncode == 0, crawl.log
    stored = {path.stem for path in (tmp_path / "raw" / MODEL).glob("*.jpg")}
    assert stored == wanted
    assert crawl.count("listings/outside_years") == len(new_cars)
    assert crawl.count("listings/seen") == len(registered) + len(new_cars)
    # The registered ones are not opened twice.
    assert crawl.count("listings/duplicate", missing=0) == 0
    assert "25 listings have no first registration in 1994-" in crawl.log
    unfiltered = [path for path in site.paths("/lst/") if "fregfrom" not in path]
    assert len(unfiltered) == 3  # once for the total, then its 2 pages (the cap)

    # More new cars, listed after the registered ones: past the unfiltered search's 2 pages.
    late = [inventory.add(None, 95_000 + number, 2) for number in range(21)]
    again = run_crawl(origin, tmp_path / "raw", args={"years": None})
    assert again.returncode == 0, again.log
    assert again.count("listings/outside_years") == len(new_cars)
    assert again.count("listings/out_of_reach/no_registration_year") == len(late)
    assert f"year filter: {len(late)} listings it alone shows are past its 2 pages" in again.log


def test_narrowed_years_do_not_search_without_a_year(
    test_site: tuple[TestSite, str], inventory: Inventory, tmp_path: Path
) -> None:
    site, origin = test_site
    inventory.add(2022, 30_000, 2)
    inventory.add(None, 90_000, 2)
    crawl = run_crawl(origin, tmp_path / "raw", args={"years": "2020-2026"})
    assert crawl.returncode == 0, crawl.log
    assert crawl.count("listings/seen") == 1
    assert all("fregfrom" in path for path in site.paths("/lst/"))
