"""`scrapy crawl`, with the command line checked before the crawl starts, and a quiet console.

Every check runs before Scrapy logs its banner, so a bad argument or setting is the last and
only thing printed: one line naming it, exit code 2, no traceback. A setting name nothing
reads is a warning naming the closest known one. The console then shows scars' own lines, and
Scrapy's log goes to a file (see `scars_scrapy.console`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn

from scrapy.commands import crawl
from scrapy.exceptions import UsageError
from scrapy.utils.conf import arglist_to_dict

from scars_scrapy import checks, console
from scars_scrapy import settings as project_settings
from scars_scrapy.config import ARGUMENTS, ConfigError, build_config
from scars_scrapy.spiders.autoscout import AutoscoutSpider

if TYPE_CHECKING:
    import argparse

    from scrapy import Spider
    from scrapy.crawler import Crawler

ROBOTS_LINE = (
    "robots.txt is not obeyed (ROBOTSTXT_OBEY=False) and the site's terms forbid automated "
    'access without consent: see README, "Responsible use of the site"'
)


class Command(crawl.Command):
    crawler: Crawler | None = None  # the run's crawler, once `run` made it

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "-v", "--verbose", action="store_true",
            help="show Scrapy's whole log on the console too (it always goes to the log file)",
        )  # fmt: skip

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        try:
            super().process_options(args, opts)
        except UsageError as exc:
            try:
                checks.check_pairs(opts.set)
            except ConfigError as bad:
                fail(str(bad))
            fail(str(exc))
        if args != [AutoscoutSpider.name]:
            given = f"unknown spider {' '.join(args)!r}" if args else "no spider given"
            fail(f"{given}: use scrapy crawl {AutoscoutSpider.name} -a model=<slug>")
        assert self.settings is not None
        named = list(arglist_to_dict(opts.set))
        if opts.loglevel:
            named.append("LOG_LEVEL")
        try:
            checks.check_values(named, self.settings, project_settings)
            checks.check_arguments(opts.spargs, ARGUMENTS)
            build_config(opts.spargs, self.settings)
        except ConfigError as exc:
            fail(str(exc))
        self.warnings = checks.unknown_settings(named, project_settings)
        self.output = console.prepare(self.settings, opts.verbose)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        console.attach(self.output)
        for warning in self.warnings:
            console.console.warning("Warning: %s", warning)
        self._start_line(args, opts)
        try:
            super().run(args, opts)
        except UsageError as exc:  # one the checks above let through
            fail(str(exc))
        assert self.crawler_process is not None
        if self.crawler_process.bootstrap_failed:
            console.console.error("The crawl could not start: see %s", self.output.log_file)
        elif self.crawler is not None and every_search_failed(self.crawler.stats.get_stats()):
            console.console.error(
                "Nothing was crawled: the search of every model failed (is the site reachable? "
                "see %s)",
                self.output.log_file,
            )
            self.exitcode = 1

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        """Scrapy's crawler (made by `crawl.Command.run` through this hook), kept so that its
        counts decide the exit code: Scrapy forgets a crawler once it has finished."""
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def _start_line(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        arguments = " ".join(f"{name}={value}" for name, value in opts.spargs.items())
        where = self.settings.get("IMAGES_STORE")
        console.console.info("Crawling %s into %s", arguments or " ".join(args), where)
        if not self.settings.getbool("ROBOTSTXT_OBEY"):
            console.console.info(ROBOTS_LINE)
        if self.output.log_file is not None:
            console.console.info("Scrapy's log: %s", self.output.log_file)


def every_search_failed(stats: dict[str, Any]) -> bool:
    """No model's search page could be read: a crawl that did nothing, which must not exit 0."""
    failed = sum(v for k, v in stats.items() if k.endswith("/search_failed"))
    searched = sum(v for k, v in stats.items() if k.endswith("/pages/search"))
    return failed > 0 and searched == 0


def fail(message: str) -> NoReturn:
    """The one line a bad command line gets, then exit code 2 (Scrapy's usage error code)."""
    sys.stderr.write(f"scrapy crawl: error: {message}\n")
    raise SystemExit(2)
