"""Fixtures for the crawler's tests: the local test site and a real `scrapy crawl` runner."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sitecopy.server import serve
from sitecopy.site import Inventory, Listing, TestSite

REPO = Path(__file__).resolve().parents[2]
MODEL = "range-rover-vogue"
PAGE_CAP = 2  # pages per search; with 20 a page, a slice over 40 results is split
# Politeness off, so the suite stays fast; the retry/backoff machinery still runs.
FAST = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "DOWNLOAD_SLOTS": "{}",
    "RETRY_TIMES": "2",
    "SCARS_BLOCK_RETRIES": "2",
    "SCARS_BACKOFF_BASE": "0.1",
    "SCARS_PAGE_CAP": str(PAGE_CAP),
    "SCARS_PROGRESS_INTERVAL": "1",
    "LOG_LEVEL": "INFO",
}


@dataclass
class Crawl:
    returncode: int
    summary: dict[str, Any]
    log: str

    def count(self, key: str, missing: int | None = None) -> int:
        """The summary's count `key`; a key the summary lacks fails the test unless the
        caller says what it stands for (`missing=0`: nothing of that kind happened)."""
        counts = self.summary.get("counts", {})
        if key not in counts and missing is not None:
            return missing
        assert key in counts, f"the summary has no count {key!r}: {sorted(counts)}"
        return int(counts[key])


def crawl_command(
    origin: str, store: Path, *, args: dict[str, str | None] | None = None,
    settings: dict[str, str] | None = None,
) -> tuple[list[str], Path]:  # fmt: skip
    """The `scrapy crawl autoscout` command line for the local site, and its summary file. An
    argument given as None is left out (`years`: every year, the spider's default)."""
    summary_file = store.parent / f"summary-{len(list(store.parent.glob('summary-*')))}.json"
    arguments = {"site": origin, "model": MODEL, "years": "2019-2022"} | (args or {})
    options = FAST | {"IMAGES_STORE": str(store), "SCARS_SUMMARY_FILE": str(summary_file)}
    command = [sys.executable, "-m", "scrapy", "crawl", "autoscout"]
    for name, value in arguments.items():
        if value is not None:
            command += ["-a", f"{name}={value}"]
    for name, value in (options | (settings or {})).items():
        command += ["-s", f"{name}={value}"]
    return command, summary_file


def quiet_command(command: list[str]) -> list[str]:
    """`command` without the tests' `-s LOG_LEVEL=INFO`: the console as a user sees it."""
    at = command.index("LOG_LEVEL=INFO")
    return command[: at - 1] + command[at + 1 :]


def read_summary(summary_file: Path) -> dict[str, Any]:
    return json.loads(summary_file.read_text()) if summary_file.exists() else {}


def run_crawl(
    origin: str, store: Path, *, args: dict[str, str | None] | None = None,
    settings: dict[str, str] | None = None, timeout: float = 120,
) -> Crawl:  # fmt: skip
    """A real `scrapy crawl autoscout` in a subprocess against the local site."""
    command, summary_file = crawl_command(origin, store, args=args, settings=settings)
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    return Crawl(done.returncode, read_summary(summary_file), done.stderr + done.stdout)


def standard_inventory(inventory: Inventory) -> list[Listing]:
    """The site of the end-to-end test, year by year (page cap 2, i.e. 40 listings a search):

    - 2019: no listings; page 1 is empty.
    - 2020: 38 listings on pages 1-2 (20 and 18), plus one sponsored listing pinned on every
      page of every search (a duplicate across pages).
    - 2021: 60 listings, 42 of them priced 50,000-74,999: over the cap, split into the price
      ladder, and that band split again in two.
    - 2022: 25 listings on 2 pages: one with 40 photos, one without photos, one sold (410),
      one sold (301 to a search page), one whose slug moved (308).
    Every other listing has 2 or 3 photos. Returns the listings whose photos must be stored.
    """
    for number in range(38):
        inventory.add(2020, 10_000 + number * 700, 2 + number % 2)
    for number in range(60):
        price = 50_000 + number * 500 if number < 42 else 3_000 + number * 3_000
        inventory.add(2021, price, 2 + number % 2)
    inventory.add(2022, 90_000, 40)
    inventory.add(2022, 91_000, 0)
    inventory.add(2022, 92_000, 3, status="sold")
    inventory.add(2022, 93_000, 3, status="sold_redirect")
    inventory.add(2022, 94_000, 2, status="moved")
    for number in range(20):
        inventory.add(2022, 20_000 + number * 1_000, 2 + number % 2)
    inventory.sponsored = inventory.add(2020, 55_555, 3)
    return [item for item in inventory.listings.values() if item.status in ("live", "moved")]


@pytest.fixture
def inventory(recorded_pages: Path) -> Inventory:
    return Inventory(recorded_pages, page_cap=PAGE_CAP)


@pytest.fixture
def test_site(inventory: Inventory) -> Iterator[tuple[TestSite, str]]:
    """The local site and its origin; tests fill its inventory. Page by page:

    - `/lst/land-rover/range-rover/ve_vogue?fregfrom=&fregto=&pricefrom=&priceto=&page=`: the
      recorded .de search page with its `__NEXT_DATA__` holding 20 matching listings a page
      (built from the recorded .com listings), `numberOfResults`, and `numberOfPages` up to
      the page cap; pages past the cap are empty, as on the site.
    - `/offers/land-rover-range-rover-vogue-<id>`: the recorded .de detail page with the
      listing's `listingDetails`; 410 (sold), 301 to a search (sold) or 308 (moved) by status.
    - `/pictures/listing-images/<listing>_<image>.jpg/<WxH>.<webp|jpg>`: the picture host,
      rewritten to the site itself: real WebP/JPEG bytes generated from the image ID.
    - `/robots.txt`: disallows search and detail paths, as the real one does.
    Faults (blocks, errors, broken pictures) are added per test.
    """
    site = TestSite(inventory)
    with serve(site) as origin:
        yield site, origin


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server (Debian's) on a free local port, without persistence, stopped after
    the session; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (.ci/run installs Debian's package)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
               "no", "--dir", str(folder)]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT) as server:
        try:
            _wait_for_port(port, server)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait(10)


def _wait_for_port(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and server.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"redis-server did not start on port {port}")


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The session's Redis, emptied for each test."""
    import redis

    client = redis.Redis.from_url(redis_server)
    client.flushdb()
    client.close()
    return redis_server
