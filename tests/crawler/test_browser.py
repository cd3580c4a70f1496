"""Browser mode: pages through Debian's Chromium (scrapy-playwright) against the local site."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from scars_scrapy.settings import PLAYWRIGHT_LAUNCH_OPTIONS
from sitecopy.site import Inventory, TestSite
from tests.crawler.conftest import MODEL, run_crawl
from tests.crawler.test_crawl import assert_store_matches, expected_records

CHROMIUM = PLAYWRIGHT_LAUNCH_OPTIONS["executable_path"]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(240),
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} is not installed"),
]


def test_browser_mode_crawls_the_same_site(
    test_site: tuple[TestSite, str], inventory: Inventory, tmp_path: Path
) -> None:
    site, origin = test_site
    listings = [inventory.add(2022, 40_000 + n * 1_000, 1 + n % 2) for n in range(20)]
    inventory.add(2022, 49_000, 2, status="sold")
    inventory.sponsored = inventory.add(2022, 55_555, 2)
    listings.append(inventory.sponsored)
    site.fault("page=1", "challenge")  # blocks are detected in browser mode too
    # The recorded pages link to the real site; this keeps Chromium's every lookup local.
    options = PLAYWRIGHT_LAUNCH_OPTIONS | {
        "args": [
            *PLAYWRIGHT_LAUNCH_OPTIONS["args"],
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        ]
    }
    crawl = run_crawl(
        origin,
        tmp_path / "raw",
        args={"years": "2022", "browser": "1"},
        settings={"PLAYWRIGHT_LAUNCH_OPTIONS": json.dumps(options)},
        timeout=200,
    )
    assert crawl.returncode == 0, crawl.log
    # Every page the site served went to Chromium, which fetched nothing but those documents.
    navigations = re.search(r"'playwright/request_count/navigation': (\d+)", crawl.log)
    assert navigations is not None
    assert int(navigations.group(1)) == len(site.paths("/lst/")) + len(site.paths("/offers/"))
    assert "'playwright/request_count/aborted'" in crawl.log
    assert_store_matches(tmp_path / "raw" / MODEL, expected_records(inventory, listings))
    assert crawl.count("blocked/challenge") == 1
    assert crawl.count("listings/sold") == 1
    assert crawl.count("listings/duplicate") >= 1
