"""What a user sees: one line for a bad command line, a quiet console with progress, a log file
with Scrapy's log, and after Ctrl+C with JOBDIR the command that resumes the crawl."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sitecopy.site import TestSite
from tests.crawler.conftest import (
    MODEL,
    REPO,
    crawl_command,
    quiet_command,
)

pytestmark = pytest.mark.timeout(180)
# Scrapy's LOG_FORMAT: `2026-12-02 05:51:35 [scrapy.core.engine] INFO: ...`
SCRAPY_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[[\w.]+\] [A-Z]+: ", re.M)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["-a", "yeras=2020"], "unknown argument 'yeras': did you mean 'years'?"),
        (["-s", "DOWNLOAD_DELAY=abc"], "'abc' for setting DOWNLOAD_DELAY: expected a number"),
        (["-s", "DOWNLOAD_SLOTS=abc"], "'abc' for setting DOWNLOAD_SLOTS: expected a JSON object"),
        (["-L", "LOUD"], "'LOUD' for setting LOG_LEVEL: expected a log level"),
        (["-a", "model=no-such-car"], "unknown model 'no-such-car'"),
        (["autoscot"], "unknown spider 'autoscout autoscot': use scrapy crawl autoscout"),
    ],
)  # fmt: skip
def test_a_bad_command_line_is_one_line(args: list[str], named: str, tmp_path: Path) -> None:
    """Nothing before the error (no banner, no usage block), exit code 2, no traceback."""
    command = [sys.executable, "-m", "scrapy", "crawl", "autoscout", "-a", "model=defender"]
    command += [*args, "-s", f"IMAGES_STORE={tmp_path / 'raw'}"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [done.stderr.strip()]  # one line
    assert done.stderr.startswith("scrapy crawl: error: ") and named in done.stderr
    assert not (tmp_path / "raw").exists() and not (tmp_path / "logs").exists()


def test_the_console_shows_scars_lines_and_the_log_file_scrapys(
    test_site: tuple[TestSite, str], tmp_path: Path
) -> None:
    site, origin = test_site
    site.latency = 0.1  # 100 requests, 2 at a time: at least 5 s, many progress lines
    for number in range(30):
        site.inventory.add(2022, 30_000 + number * 1_000, 2)
    settings = {"SCARS_PROGRESS_INTERVAL": "0.25", "CONCURRENT_REQUESTS_PER_DOMAIN": "2",
                "DOWNLOAD_DELAI": "2"}  # fmt: skip
    command, _ = crawl_command(origin, tmp_path / "raw", args={"years": "2022"}, settings=settings)
    done = subprocess.run(
        quiet_command(command), cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    console = done.stderr + done.stdout
    assert not SCRAPY_LINE.search(console), console
    assert "unknown setting DOWNLOAD_DELAI (did you mean DOWNLOAD_DELAY?)" in console
    assert f"Crawling site={origin} model={MODEL} years=2022 into {tmp_path / 'raw'}" in console
    progress = [line for line in console.splitlines() if "Progress: " in line]
    assert any(re.search(r"\d+\.\d photos/s \(last .+\), about .+ left$", p) for p in progress), (
        progress
    )
    assert "Summary (finished, " in console and "listings 30/30 done (100%)" in console
    logs = list((tmp_path / "logs").glob("crawl-*.log"))
    assert len(logs) == 1 and f"Scrapy's log: {logs[0]}" in console
    log = logs[0].read_text()
    assert "[scrapy.core.engine] INFO: Spider opened" in log
    assert "[scrapy.statscollectors] INFO: Dumping Scrapy stats" in log
    assert "[scars_scrapy.console] INFO: Summary (finished" in log  # the console's lines too


def test_verbose_shows_scrapys_log_and_keeps_the_file(
    test_site: tuple[TestSite, str], tmp_path: Path
) -> None:
    site, origin = test_site
    site.inventory.add(2022, 30_000, 2)
    command, _ = crawl_command(origin, tmp_path / "raw", args={"years": "2022"})
    done = subprocess.run([*quiet_command(command), "--verbose"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    (log,) = (tmp_path / "logs").glob("crawl-*.log")
    for shown in (done.stderr, log.read_text()):  # the whole log, banner included, in both
        assert "[scrapy.utils.log] INFO: Scrapy " in shown
        assert "[scrapy.core.engine] INFO: Spider opened" in shown
        assert "[scars_scrapy.console] INFO: Summary (finished" in shown
