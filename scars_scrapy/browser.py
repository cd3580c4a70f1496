"""Browser mode: pages through Chromium (scrapy-playwright), for when plain HTTP is blocked."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Request as BrowserRequest
    from scrapy.settings import BaseSettings

PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


def enable(settings: BaseSettings) -> None:
    """Route http(s) through scrapy-playwright; only requests marked `playwright` use Chromium."""
    handlers = {"http": PLAYWRIGHT_HANDLER, "https": PLAYWRIGHT_HANDLER}
    settings.set("DOWNLOAD_HANDLERS", handlers, priority="spider")


def abort_request(request: BrowserRequest) -> bool:
    """Chromium fetches the document only: its data is in the server HTML already."""
    return request.resource_type != "document"
