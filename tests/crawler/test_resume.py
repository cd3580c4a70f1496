"""A crawl stopped or killed part-way: no partial picture in the store, and the next run
(or a resumed one, with JOBDIR) completes the set."""

from __future__ import annotations

import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image

from sitecopy.site import Inventory, TestSite
from tests.crawler.conftest import (
    MODEL,
    REPO,
    Crawl,
    crawl_command,
    quiet_command,
    read_summary,
    run_crawl,
    standard_inventory,
)
from tests.crawler.test_crawl import assert_store_matches, expected_records

pytestmark = pytest.mark.timeout(180)


def interrupt(command: list[str], folder: Path, sig: signal.Signals, after: int) -> int:
    """Starts the crawl, sends `sig` once `after` pictures are stored; the exit code."""
    log = (folder.parent.parent / "interrupted.log").open("wb")
    with log, subprocess.Popen(command, cwd=REPO, stdout=log, stderr=log) as process:
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and process.poll() is None:
                if folder.is_dir() and len(list(folder.glob("*.jpg"))) >= after:
                    process.send_signal(sig)
                    break
                time.sleep(0.02)
            return process.wait(60)
        finally:
            if process.poll() is None:
                process.kill()


def assert_only_whole_pictures(folder: Path) -> None:
    """Every file is a manifest or a picture that decodes to its last pixel."""
    for path in folder.iterdir():
        if path.name == "manifest.jsonl":
            continue
        assert path.suffix == ".jpg", path
        with Image.open(path) as image:
            image.load()


def test_killed_crawl_leaves_whole_pictures_and_next_run_completes(
    test_site: tuple[TestSite, str], inventory: Inventory, tmp_path: Path
) -> None:
    site, origin = test_site
    site.latency = 0.005
    expected = expected_records(inventory, standard_inventory(inventory))
    store, folder = tmp_path / "raw", tmp_path / "raw" / MODEL
    command, _ = crawl_command(origin, store)
    assert interrupt(command, folder, signal.SIGKILL, after=60) == -signal.SIGKILL
    stored_early = len(list(folder.glob("*.jpg")))
    assert 60 <= stored_early < len(expected)
    assert_only_whole_pictures(folder)
    (store / ".incoming" / "999999999-deadbeef.part").write_bytes(b"half a pict")  # dead pid

    second = run_crawl(origin, store)
    assert second.returncode == 0, second.log
    # One record per picture, none twice; the kill may have cut the last line it was writing.
    assert_store_matches(folder, expected, torn_lines=1)
    stored = second.count("skipped/already_stored", missing=0)
    assert stored + second.count("images/recorded", missing=0) >= 60
    assert list((store / ".incoming").iterdir()) == []


def test_jobdir_resumes_a_stopped_crawl(
    test_site: tuple[TestSite, str], inventory: Inventory, tmp_path: Path
) -> None:
    """Stopped with SIGINT, the crawl prints the command that resumes it; run as printed, it
    completes the set, and its summary counts the whole job as an uninterrupted crawl does."""
    site, origin = test_site
    site.latency = 0.01
    expected = expected_records(inventory, standard_inventory(inventory))
    store, folder = tmp_path / "raw", tmp_path / "raw" / MODEL
    job = {"JOBDIR": str(tmp_path / "job")}
    command, summary_file = crawl_command(origin, store, settings=job)
    command = quiet_command(command)
    assert interrupt(command, folder, signal.SIGINT, after=40) == 0
    stopped = Crawl(0, read_summary(summary_file), "")
    assert stopped.summary["finish_reason"] == "shutdown"
    assert stopped.count("images/stored") < len(expected)
    details_before = len(site.paths("/offers/"))
    printed = (tmp_path / "interrupted.log").read_text().rstrip().splitlines()
    assert printed[-2].endswith("Stopped. To resume, run the same command again:")
    assert shlex.split(printed[-1]) == command

    done = subprocess.run(shlex.split(printed[-1]), cwd=REPO, capture_output=True, text=True)
    resumed = Crawl(done.returncode, read_summary(summary_file), done.stderr)
    assert resumed.returncode == 0, resumed.log
    assert resumed.summary["finish_reason"] == "finished"
    assert_store_matches(folder, expected)
    # The whole job's counts, as an uninterrupted crawl of this site has them.
    listings = len(inventory.listings)
    whole = {"images/found": len(expected), "images/stored": len(expected),
             "item_scraped_count": len(expected), "listings/seen": listings,
             "listings/done": listings, "listings/known": listings - 1}  # fmt: skip
    assert {key: resumed.count(key) for key in whole} == whole  # the pinned one is in no total
    # Resumed, not restarted: no detail page is fetched twice over the two runs.
    details = site.paths("/offers/")
    assert len(details) == len(set(details)) and len(details) > details_before
    assert (tmp_path / "job" / "spider.state").exists()  # the listings seen, kept for a resume
