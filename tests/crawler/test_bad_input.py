"""Bad input: each case has its expected outcome, and nothing else is lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sitecopy.server import SEARCH_PATH
from sitecopy.site import TestSite
from tests.crawler.conftest import MODEL, REPO, run_crawl

pytestmark = pytest.mark.timeout(180)
OFFSITE_ID = "00000000-0000-0000-0000-000000000000"


def hostile_site(site: TestSite, origin: str) -> tuple[set[str], dict[str, str]]:
    """A 2022-only site where every page and picture of the issue's list misbehaves once
    or for good. Returns the photo IDs that must be stored and the listings' paths by role."""
    inventory = site.inventory
    listings = [inventory.add(2022, 30_000 + n * 1_000, 2) for n in range(24)]
    pictures = inventory.add(2022, 60_000, 6)  # 4 bad pictures and 2 good ones
    for image_id, kind in zip(
        pictures.image_ids, ("truncated", "html", "empty", "bomb"), strict=False
    ):
        site.persistent[image_id] = kind
    offsite = inventory.add(2022, 61_000, 1)
    port = origin.rsplit(":", 1)[1]
    offsite.extra_images = [  # the same server under another host name
        f"http://localhost:{port}/pictures/listing-images/{offsite.id}_{OFFSITE_ID}.jpg/1280x960.webp"
    ]
    empty = inventory.add(2022, 62_000, 0)
    broken = inventory.add(2022, 63_000, 2)  # its detail page is malformed every time
    good = {i for item in [*listings, offsite] for i in item.image_ids} | set(
        pictures.image_ids[4:]
    )
    roles = {"throttled": listings[3].url, "error": listings[4].url, "slow": listings[5].url,
             "malformed": listings[6].url, "broken": broken.url, "empty": empty.url}  # fmt: skip
    site.fault("page=1", "challenge")  # a bot-protection page with status 200
    site.fault("page=2", "status", (403, {}))
    site.fault(roles["throttled"], "status", (429, {"Retry-After": "1"}))
    site.fault(roles["error"], "status", (500, {}))
    site.fault(roles["slow"], "sleep", 4)  # longer than DOWNLOAD_TIMEOUT
    site.fault(roles["malformed"], "malformed")
    for _ in range(3):  # more than the spider's retries of a malformed page
        site.fault(roles["broken"], "malformed")
    site.fault(listings[7].image_ids[0], "status", (500, {}))  # a picture fails once
    site.fault(listings[8].url, "status", (200, {}))  # a 200 without __NEXT_DATA__
    return good, roles


def test_bad_pages_and_pictures(test_site: tuple[TestSite, str], tmp_path: Path) -> None:
    site, origin = test_site
    good, roles = hostile_site(site, origin)
    store = tmp_path / "raw"
    crawl = run_crawl(origin, store, args={"years": "2022"}, settings={"DOWNLOAD_TIMEOUT": "2"})
    assert crawl.returncode == 0, crawl.log
    stored = {path.stem for path in (store / MODEL).glob("*.jpg")}
    assert stored == good
    expected_counts = {
        "blocked/challenge": 1, "blocked/http_403": 1, "blocked/http_429": 1,
        "blocked/no_page_data": 1, "dropped/corrupt_image": 1, "dropped/not_an_image": 1,
        "dropped/empty_image": 1, "dropped/decompression_bomb": 1, "dropped/offsite_image": 1,
        "dropped/malformed_page": 1, "retried/malformed_page": 3, "listings/no_images": 1,
    }  # fmt: skip
    assert {key: crawl.count(key) for key in expected_counts} == expected_counts
    assert not any(OFFSITE_ID in path for path in site.paths("/pictures/"))
    throttled = [t for t, path in site.hits if path == roles["throttled"]]
    assert len(throttled) == 2 and throttled[1] - throttled[0] >= 0.95  # Retry-After: 1
    assert len(site.paths(roles["slow"])) == 2  # timed out, then retried
    assert len(site.paths(roles["broken"])) == 3
    assert len(site.paths(roles["error"])) == 2  # 500, then success
    assert len(site.paths(SEARCH_PATH)) == 4  # pages 1 and 2 (the cap), each blocked once


def test_blocked_for_good_is_not_the_end_of_results(
    test_site: tuple[TestSite, str], tmp_path: Path
) -> None:
    """A page that stays blocked is given up and counted, never read as an empty page."""
    site, origin = test_site
    for number in range(3):
        site.inventory.add(2022, 30_000 + number, 1)
    for _ in range(3):  # SCARS_BLOCK_RETRIES=2: three answers, all 429
        site.fault("page=1", "status", (429, {}))
    crawl = run_crawl(origin, tmp_path / "raw", args={"years": "2022"})
    assert crawl.returncode == 1, crawl.log  # the only search page was lost: nothing was crawled
    assert "Nothing was crawled" in crawl.log
    assert crawl.count("blocked/http_429") == 3 and crawl.count("blocked/gave_up") == 1
    assert crawl.count("dropped/page_http_429") == 1
    assert "listings may be incomplete" in crawl.log


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-a", "model=../../etc"], "invalid model '../../etc'"),
        (["-a", "model=range-rover-vogue/../../x"], "invalid model"),
        (["-a", "model=no-such-car"], "unknown model 'no-such-car'; known models: defender"),
        ([], "no model given"),
        (["-a", "make=../x", "-a", "model=320"], "invalid make '../x'"),
        (["-a", "model=defender", "-a", "years=2025-2015"], "invalid years '2025-2015'"),
        (["-a", "model=defender", "-a", "site=ftp://x.example"], "site 'ftp://x.example'"),
        (["-a", "model=defender", "-s", "SCARS_IMAGE_SIZE=big"], "SCARS_IMAGE_SIZE 'big'"),
        (["-a", "model=defender", "-s", "SCARS_IMAGE_SIZE=5x5"], "each side must be 10 to 9999"),
        (["-a", "model=defender", "-a", "browser=maybe"], "invalid browser 'maybe'"),
    ],
)
def test_bad_arguments_fail_at_once(args: list[str], message: str, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "scrapy", "crawl", "autoscout", *args]
    command += ["-s", f"IMAGES_STORE={tmp_path / 'raw'}"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2  # Scrapy's usage error, before the crawl starts
    assert "error: " in done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "raw").exists() or not any((tmp_path / "raw").rglob("*.jpg"))
