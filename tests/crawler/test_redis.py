"""One crawl shared by several real `scrapy crawl` workers through a real Redis."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from filtering.listing import list_images
from sitecopy.site import Inventory, TestSite
from tests.crawler.conftest import (
    MODEL,
    REPO,
    Crawl,
    crawl_command,
    free_port,
    quiet_command,
    read_summary,
    run_crawl,
    standard_inventory,
)
from tests.crawler.test_crawl import expected_records

pytestmark = pytest.mark.timeout(240)
# A worker silent this long is taken for dead (kept short so the tests stay fast).
WORKER_TIMEOUT = "2"


def worker_command(origin: str, store: Path, url: str, name: str) -> list[str]:
    settings = {
        "SCARS_REDIS_URL": url,
        "SCARS_REDIS_WORKER_TIMEOUT": WORKER_TIMEOUT,
        "SCARS_SUMMARY_FILE": str(store.parent / f"summary-{name}.json"),
    }
    command, _ = crawl_command(origin, store, settings=settings)
    return command


def start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)


def photos(store: Path) -> dict[str, bytes]:
    """Every stored photo of the model, by file name, with its bytes."""
    return {path.name: path.read_bytes() for path in (store / MODEL).glob("*.jpg")}


def records(store: Path) -> list[dict]:
    """Every manifest record of the model folder, from every worker's manifest."""
    rows = []
    for path in sorted((store / MODEL).glob("manifest*.jsonl")):
        rows += [json.loads(line) for line in path.read_text().splitlines() if line]
    return rows


def assert_whole_and_recorded(store: Path, expected: dict[str, dict]) -> None:
    """One whole picture per expected photo, recorded once across the manifests, checksum
    matching."""
    rows = records(store)
    assert Counter(row["image_id"] for row in rows) == Counter(list(expected))
    for row in rows:
        path = store / MODEL / f"{row['image_id']}.jpg"
        assert row["checksum"] == hashlib.md5(path.read_bytes()).hexdigest()
        with Image.open(path) as image:
            image.load()
    assert {p.stem for p in (store / MODEL).glob("*.jpg")} == set(expected)
    assert not list((store / ".incoming").glob("*.part"))


def test_two_workers_share_one_crawl(
    test_site: tuple[TestSite, str], inventory: Inventory, tmp_path: Path, redis_url: str
) -> None:
    site, origin = test_site
    site.latency = 0.003  # both workers get their share of the pages
    expected = expected_records(inventory, standard_inventory(inventory))
    stores = [tmp_path / "w1" / "raw", tmp_path / "w2" / "raw"]
    workers = [
        start(worker_command(origin, store, redis_url, f"w{n}"), tmp_path / f"w{n}.log")
        for n, store in enumerate(stores, 1)
    ]
    codes = [worker.wait(120) for worker in workers]
    logs = "\n".join((tmp_path / f"w{n}.log").read_text() for n in (1, 2))
    assert codes == [0, 0], logs
    shared_hits = [target for _, target in site.hits]

    # No page and no picture fetched twice across the two workers.
    repeated = [path for path, times in Counter(shared_hits).items() if times > 1]
    assert repeated == []
    together = photos(stores[0]) | photos(stores[1])
    assert len(photos(stores[0])) + len(photos(stores[1])) == len(together)  # none in both
    assert all(photos(store) for store in stores)  # each worker did part of the work
    for store in stores:  # a manifest per worker, which the filtering passes over
        (manifest,) = (store / MODEL).glob("manifest*")
        assert manifest.name.startswith("manifest-") and manifest.suffix == ".jsonl"
        listed = {path.name for path in list_images(store / MODEL)}
        assert listed == set(photos(store))
    summaries = [read_summary(store.parent / f"summary-w{n}.json") for n, store in
                 enumerate(stores, 1)]  # fmt: skip
    stored = sum(Crawl(0, summary, "").count("images/stored") for summary in summaries)
    assert stored == len(expected) == 340

    # A single-process crawl of the same site stores the very same files.
    single = run_crawl(origin, tmp_path / "single" / "raw")
    assert single.returncode == 0, single.log
    assert photos(tmp_path / "single" / "raw") == together


def test_a_killed_worker_loses_nothing_and_the_next_run_completes(
    test_site: tuple[TestSite, str], inventory: Inventory, tmp_path: Path, redis_url: str
) -> None:
    """Both workers on one shared folder; one is killed mid-crawl, the other goes on, and the
    same command run again completes the set. No photo reported stored is fetched again."""
    site, origin = test_site
    site.latency = 0.004
    expected = expected_records(inventory, standard_inventory(inventory))
    store = tmp_path / "raw"
    command = worker_command(origin, store, redis_url, "a")
    victim = start(command, tmp_path / "victim.log")
    survivor = start(worker_command(origin, store, redis_url, "b"), tmp_path / "survivor.log")
    deadline = time.monotonic() + 60
    while len(records(store)) < 60 and time.monotonic() < deadline and victim.poll() is None:
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(10) == -signal.SIGKILL
    assert survivor.wait(120) == 0, (tmp_path / "survivor.log").read_text()
    before = {row["image_id"] for row in records(store)}
    assert 60 <= len(before) <= len(expected)
    fetched_before = len(site.hits)

    again = start(command, tmp_path / "again.log")
    assert again.wait(120) == 0, (tmp_path / "again.log").read_text()
    assert "Starting a new run" in (tmp_path / "again.log").read_text()
    assert_whole_and_recorded(store, expected)
    refetched = [t for _, t in site.hits[fetched_before:] if t.startswith("/pictures/")]
    assert not {t.split("_")[1].split(".")[0] for t in refetched} & before


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://127.0.0.1:{port}/0", "cannot reach Redis at SCARS_REDIS_URL 'redis://127.0.0.1:"),
        ("http://127.0.0.1:{port}/0", "invalid SCARS_REDIS_URL 'http://127.0.0.1:"),
    ],
)  # fmt: skip
def test_redis_that_cannot_be_used_stops_before_any_request(
    test_site: tuple[TestSite, str], tmp_path: Path, url: str, message: str
) -> None:
    site, origin = test_site
    command, _ = crawl_command(
        origin, tmp_path / "raw", settings={"SCARS_REDIS_URL": url.format(port=free_port())}
    )
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert message in last and "Traceback" not in done.stderr
    assert site.hits == []


def test_an_unknown_model_in_a_list_stops_before_any_request(
    test_site: tuple[TestSite, str], tmp_path: Path, redis_url: str
) -> None:
    site, origin = test_site
    command = worker_command(origin, tmp_path / "raw", redis_url, "x")
    command[command.index(f"model={MODEL}")] = f"model={MODEL},range-rover-vouge"
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "unknown model 'range-rover-vouge'" in done.stderr.strip().splitlines()[-1]
    assert site.hits == []


def test_the_environment_sets_the_url_too(test_site: tuple[TestSite, str], tmp_path: Path) -> None:
    """SCARS_REDIS_URL from the environment, as from -s."""
    site, origin = test_site
    command, _ = crawl_command(origin, tmp_path / "raw")
    url = f"redis://127.0.0.1:{free_port()}/0"
    env = os.environ | {"SCARS_REDIS_URL": url}
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2 and url in done.stderr
    assert site.hits == []


def test_workers_share_one_page_pace(redis_url: str) -> None:
    """Page requests of two workers, reserved in turn, are one gap apart in all."""
    from scars_scrapy.redis_pace import PagePace
    from scars_scrapy.redis_state import connect

    first, second = (PagePace(connect(redis_url), "autoscout:scars:page-pace", 0.2) for _ in "ab")
    waits = [pace.wait() for pace in (first, second, first, second)]
    for turn, wait in enumerate(waits):
        assert turn * 0.2 - 0.05 <= wait <= turn * 0.2 + 0.01


def test_two_workers_ask_for_pages_at_one_crawls_pace(
    test_site: tuple[TestSite, str], inventory: Inventory, tmp_path: Path, redis_url: str
) -> None:
    """With SCARS_REDIS_PAGE_DELAY, the site sees pages of both workers together no closer
    than that, while each worker has no delay of its own."""
    site, origin = test_site
    for number in range(12):
        inventory.add(2020 + number % 3, 30_000 + number, 1)
    gap = 0.1
    commands = [worker_command(origin, tmp_path / f"w{n}" / "raw", redis_url, f"w{n}")
                for n in (1, 2)]  # fmt: skip
    for command in commands:
        command += ["-s", f"SCARS_REDIS_PAGE_DELAY={gap}"]
    commands = [quiet_command(command) for command in commands]  # the console a user sees
    workers = [start(command, tmp_path / f"w{n}.log") for n, command in enumerate(commands, 1)]
    assert [worker.wait(120) for worker in workers] == [0, 0]
    for n in (1, 2):  # the rate the site sees, stated at start-up on the quiet console
        console = (tmp_path / f"w{n}.log").read_text()
        assert "share this crawl now: pages at most one every 0.10 s for all workers" in console
    pages = sorted(t for t, target in site.hits if target.startswith(("/lst/", "/offers/")))
    assert len(pages) == 4 + 12 + 3  # page 1 of 4 years, 12 listings, page 2 of the 3 years
    # Each page is sent at its reserved moment, give or take the event loop's jitter (tens of
    # ms on a loaded machine): so the span, and the busiest second, are what is checked.
    assert pages[-1] - pages[0] >= (len(pages) - 1) * gap * 0.9
    busiest = max(sum(1 for t in pages if start <= t < start + 1) for start in pages)
    assert busiest <= 1 / gap + 2, [round(b - a, 3) for a, b in itertools.pairwise(pages)]
