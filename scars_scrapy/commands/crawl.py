"""`scrapy crawl`, checking the spider's arguments before the crawl starts.

A bad argument found once the crawl has started ends in a traceback from the event loop; found
here, it is Scrapy's usual one-line usage error with exit code 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.commands import crawl
from scrapy.exceptions import UsageError

from scars_scrapy.config import ConfigError, build_config
from scars_scrapy.spiders.autoscout import AutoscoutSpider

if TYPE_CHECKING:
    import argparse


class Command(crawl.Command):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args and args[0] == AutoscoutSpider.name:
            try:
                build_config(opts.spargs, self.settings)
            except ConfigError as exc:
                raise UsageError(str(exc)) from None
        super().run(args, opts)
