"""Progress, summary, a job's totals, the command-line checks and the pictures' slot, as units."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from scars_scrapy import checks, progress, totals
from scars_scrapy import settings as project_settings
from scars_scrapy.config import ARGUMENTS, ConfigError, build_config
from scars_scrapy.console import CONSOLE_LOGGER, command_line
from scars_scrapy.extensions import ProgressSummary
from scars_scrapy.middlewares import PICTURE_SLOT, PictureSlotMiddleware

STATS = {
    "scars/listings/known": 10, "scars/listings/seen": 8, "scars/listings/done": 4,
    "scars/images/stored": 7, "scars/dropped/not_an_image": 2, "scars/dropped/offsite_image": 1,
    "scars/skipped/already_stored": 5, "file_status_count/downloaded": 7, "other": 1,
}  # fmt: skip


def test_summary_by_reason() -> None:
    counts = progress.Counts.of(STATS)
    assert progress.listings_text(counts) == (
        "listings 4/10 done (40%), photos 7 stored, 5 skipped, 3 dropped"
    )
    result = totals.summary(STATS, "finished")
    assert result["finish_reason"] == "finished"
    assert result["counts"]["dropped/not_an_image"] == 2 and "other" not in result["counts"]
    lines = progress.summary_lines(STATS, "finished", 75)
    assert lines[0] == "Summary (finished, 1 min 15 s): " + progress.listings_text(counts)
    assert "  dropped: not_an_image 2, offsite_image 1" in lines


def test_rate_over_the_last_minutes_and_time_left() -> None:
    window = progress.RateWindow(300)
    for now, stored, done in ((0, 0, 0), (60, 60, 3), (400, 460, 23)):
        window.add(now, progress.Counts(100, done, stored, 0, 0, 0))
    assert window.rates() == (400 / 340, 20 / 340)  # the first sample fell out of the window
    line = progress.progress_line(progress.Counts(100, 23, 460, 0, 0, 0), window)
    assert line == (
        "Progress: listings 23/100 done (23%), photos 460 stored, 1.2 photos/s (last 5 min 40 s)"
        ", about 21 min 49 s left"
    )
    assert progress.duration(2 * 3600 + 5 * 60 + 10) == "2 h 05 min"
    assert progress.time_left(progress.Counts(0, 0, 0, 0, 0, 0), 1.0).endswith(
        "no search total yet)"
    )


def test_a_shared_crawl_worker_reading_more_listings_than_it_found_shows_no_share() -> None:
    """A worker of a shared crawl reads listings that other workers' searches found."""
    window = progress.RateWindow(300)
    for now, done in ((0, 0), (60, 73)):
        window.add(now, progress.Counts(37, done, done * 5, 0, 0, 0))
    line = progress.progress_line(progress.Counts(37, 73, 365, 0, 0, 0), window)
    assert line.startswith("Progress: listings 73 done (37 found by this worker), photos 365")
    assert line.endswith("time left: not known on this worker (it reads listings others found)")
    assert "%" not in line


@pytest.fixture
def console(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO, logger=CONSOLE_LOGGER):
        yield caplog


def extension(settings: dict[str, Any]) -> tuple[ProgressSummary, Any]:
    crawler = get_crawler(Spider, {"SCARS_PROGRESS_INTERVAL": 0, **settings})
    return ProgressSummary.from_crawler(crawler), crawler


def test_a_section_per_model(console: pytest.LogCaptureFixture) -> None:
    ext, crawler = extension({})
    spider = Spider("autoscout")
    ext.spider_opened(spider)
    by_hand = {"scars/listings/known": 30, "scars/listings/done": 12, "scars/images/stored": 90,
               "scars/model/defender/listings/known": 10, "scars/model/defender/listings/done": 10,
               "scars/model/defender/images/stored": 70, "scars/model/discovery/listings/known": 20,
               "scars/model/discovery/listings/done": 2, "scars/model/discovery/images/stored": 20,
               "scars/model/discovery/dropped/corrupt_image": 1,
               "scars/model/discovery/search_failed": 1}  # fmt: skip
    for key, value in by_hand.items():
        crawler.stats.set_value(key, value)
    ext.log_progress()
    ext.spider_closed(spider, "finished")
    text = console.text
    assert "Progress: listings 12/30 done (40%), photos 90 stored\n" in text  # no rate yet
    assert "  defender: listings 10/10 done (100%), photos 70 stored\n" in text
    assert "  discovery: listings 2/20 done (10%), photos 20 stored, 1 dropped" in text
    assert "listings 12/30 done (40%), photos 90 stored\n" in text  # the totals leave models out
    assert "  model discovery: listings 2/20 done (10%)" in text
    assert "    dropped: corrupt_image 1\n" in text and "    search_failed: 1\n" in text
    one = {k: v for k, v in by_hand.items() if "/discovery/" not in k}
    assert progress.model_lines(one) == []  # one model: its counts are the totals


def test_a_resumed_job_counts_its_earlier_parts(
    tmp_path: Path, console: pytest.LogCaptureFixture
) -> None:
    spider = Spider("autoscout")
    first, crawler = extension({"JOBDIR": str(tmp_path)})
    first.spider_opened(spider)
    crawler.stats.set_value("scars/images/stored", 40)
    crawler.stats.set_value("start_time", 123.0)  # per part: not carried
    first.spider_closed(spider, "shutdown")
    assert "Stopped. To resume, run the same command again:\n  " in console.text

    second, crawler = extension({"JOBDIR": str(tmp_path)})
    second.spider_opened(spider)
    crawler.stats.inc_value("scars/images/stored", 2)
    assert crawler.stats.get_value("scars/images/stored") == 42
    assert crawler.stats.get_value("start_time") != 123.0
    (tmp_path / totals.TOTALS_FILE).write_text('{"scars/images/st')  # torn
    assert totals.load_job_totals(tmp_path) == {}


def test_the_command_to_run_again() -> None:
    argv = ["/venv/lib/scrapy/__main__.py", "autoscout", "-a", "model=x y"]
    assert command_line(argv) == f"{sys.executable} -m scrapy crawl autoscout -a 'model=x y'"
    assert command_line(["/venv/bin/scrapy", "autoscout"]) == "scrapy crawl autoscout"


def test_setting_names_come_from_their_readers() -> None:
    names = ["DOWNLOAD_DELAI", "PLAYWRIGHT_MAX_CONTEXTS", "REDIS_URL", "SCHEDULER_PERSIST",
             "SCARS_PAGE_CAP", "IMAGES_MIN_WIDTH", "JOBDIR", "AUTOTHROTENABLED"]  # fmt: skip
    assert checks.unknown_settings(names, project_settings) == [
        "unknown setting DOWNLOAD_DELAI (did you mean DOWNLOAD_DELAY?): it has no effect",
        "unknown setting AUTOTHROTENABLED (did you mean AUTOTHROTTLE_ENABLED?): it has no effect",
    ]
    kinds = checks.known_settings(project_settings).kinds
    assert (kinds["DOWNLOAD_DELAY"], kinds["DOWNLOAD_TIMEOUT"]) == ("float", "float")
    assert (kinds["CONCURRENT_REQUESTS"], kinds["AUTOTHROTTLE_ENABLED"]) == ("int", "bool")


def test_setting_values_checked_with_their_readers_getters() -> None:
    settings = Settings({"DOWNLOAD_TIMEOUT": "2.5", "RETRY_TIMES": "2", "LOG_LEVEL": "debug"})
    checks.check_values(
        ["DOWNLOAD_TIMEOUT", "RETRY_TIMES", "LOG_LEVEL"], settings, project_settings
    )
    bad = {"RETRY_TIMES": ("two", "a whole number"), "CONCURRENT_REQUESTS": ("2.5", "a whole"),
           "AUTOTHROTTLE_ENABLED": ("maybe", "True or False"), "LOG_LEVEL": ("LOUD", "a log level"),
           "SCARS_PAGE_CAP": ("x", "a whole number"),
           "SCARS_PROGRESS_INTERVAL": ("often", "a number"),
           "SCARS_REDIS_PAGE_DELAY": ("abc", "a number")}  # fmt: skip
    for name, (value, expected) in bad.items():
        settings.set(name, value)
        with pytest.raises(ConfigError, match=f"'{value}' for setting {name}: expected {expected}"):
            checks.check_values([name], settings, project_settings)
    with pytest.raises(ConfigError, match="invalid -s 'DOWNLOAD_DELAY': use -s NAME=VALUE"):
        checks.check_pairs(["DOWNLOAD_DELAY"])
    with pytest.raises(ConfigError, match="'abc' for setting DOWNLOAD_SLOTS: expected a JSON"):
        checks.check_pairs(["RETRY_TIMES=1", "DOWNLOAD_SLOTS=abc"])


class Recording(dict[str, str]):
    """Spider arguments that remember every name read."""

    read: set[str]

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)


@pytest.mark.parametrize(
    "args",
    [{"model": "defender", "years": "2020", "site": "www.autoscout24.de", "browser": "0"},
     {"make": "bmw", "model": "320", "version": "touring"}],
)  # fmt: skip
def test_every_argument_the_config_reads_is_known(args: dict[str, str]) -> None:
    """`scrapy crawl` refuses names not in ARGUMENTS: the config must read no other."""
    recording = Recording(args)
    recording.read = set()
    build_config(recording, Settings(vars(project_settings)))
    assert recording.read <= set(ARGUMENTS)
    with pytest.raises(ConfigError, match="unknown argument 'yeras': did you mean 'years'"):
        checks.check_arguments([*args, "yeras"], ARGUMENTS)


def test_pictures_have_a_slot_of_their_own_out_of_autothrottle() -> None:
    crawler = get_crawler(Spider, {"SCARS_PICTURE_HOSTS": ["pics.example"]})
    middleware = PictureSlotMiddleware.from_crawler(crawler)
    picture, page = Request("https://pics.example/a.jpg"), Request("https://www.example/lst")
    middleware.process_request(picture)
    middleware.process_request(page)
    assert picture.meta == {"download_slot": PICTURE_SLOT, "autothrottle_dont_adjust_delay": True}
    assert page.meta == {}
    assert project_settings.DOWNLOAD_SLOTS[PICTURE_SLOT] == {"concurrency": 4, "delay": 0.1}
