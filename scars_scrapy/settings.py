"""Scrapy settings for the scars crawler.

Politeness first: AutoScout24 is a live marketplace, so the defaults crawl slowly, one or two
requests at a time per host, and back off when the site pushes back. Every value can be
overridden on the command line with `-s NAME=VALUE`; README.md lists them with types and
defaults.
"""

from __future__ import annotations

BOT_NAME = "scars_scrapy"
SPIDER_MODULES = ["scars_scrapy.spiders"]
# `scrapy crawl` checks the spider's arguments before it starts (a clean usage error).
COMMANDS_MODULE = "scars_scrapy.commands"
NEWSPIDER_MODULE = "scars_scrapy.spiders"

# --- Robots and terms -------------------------------------------------------------------------
# A deliberate choice, stated openly: AutoScout24's robots.txt disallows the search (`/lst?`)
# and detail paths for every user agent, and its terms forbid automated access without the
# site's consent. Obeying robots.txt would stop this crawler from reading any listing, so it
# is off; the spider logs this at start. Only crawl with the site's consent or where the law
# allows it (e.g. a text-and-data-mining exception); `-s ROBOTSTXT_OBEY=True` restores it.
ROBOTSTXT_OBEY = False

# --- Identity ---------------------------------------------------------------------------------
# The site answers a plain HTTP client only when it looks like a browser.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8",
    "Accept-Language": "en-GB,en;q=0.9,de;q=0.8",
}

# --- Throttling -------------------------------------------------------------------------------
# The site's pages and its picture CDN are different hosts with different loads, and each has
# its own limits.
# Pages are rendered per request, so they get the gentle pace seen in polite crawlers (0.3-1.5 s
# between requests, one or two at a time): at most 2 at a time, at least 0.5 s apart, and
# AutoThrottle widens the gap as the site's response time grows (never below DOWNLOAD_DELAY).
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Pictures (every host in SCARS_PICTURE_HOSTS) share the download slot `pictures`, which
# AutoThrottle leaves alone: a CDN serves static files, and paced like the pages (about 20
# photos a listing) a big model would take days. A fixed 4 at a time, at least 0.1 s apart, is
# at most 10 photos a second, whatever the CDN's response time.
DOWNLOAD_SLOTS = {"pictures": {"concurrency": 4, "delay": 0.1}}
DOWNLOAD_TIMEOUT = 60

# --- Retries and blocks -----------------------------------------------------------------------
# Transient server errors and timeouts: Scrapy's retry, immediately re-queued.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]
# 403/429/503 and pages without their data are blocks, handled by the block middleware: it
# waits `Retry-After` (or SCARS_BACKOFF_BASE * 2^attempt, at most SCARS_BACKOFF_MAX seconds)
# before the host sees another request, and gives up after SCARS_BLOCK_RETRIES attempts.
SCARS_BLOCK_RETRIES = 5
SCARS_BACKOFF_BASE = 5.0
SCARS_BACKOFF_MAX = 300.0
DOWNLOADER_MIDDLEWARES = {
    # Picture requests into their own download slot, before anything else sees them.
    "scars_scrapy.middlewares.PictureSlotMiddleware": 50,
    # After RetryMiddleware (550) on the way in, so it sees 429/503 responses first.
    "scars_scrapy.middlewares.BlockBackoffMiddleware": 560,
}

# --- What to crawl ----------------------------------------------------------------------------
# The site shows at most this many search pages per query (200 in 2026); a year whose results
# do not fit is split into price bands.
SCARS_PAGE_CAP = 200
# The picture size to fetch, one the site serves (120x90 ... 1920x1080).
SCARS_IMAGE_SIZE = "1280x960"
# webp is the site's own format (smaller); jpg is stored as delivered, without re-encoding.
SCARS_IMAGE_FORMAT = "webp"
# Hosts pictures may come from, besides the site's own host; any other image URL is dropped.
SCARS_PICTURE_HOSTS = ["prod.pictures.autoscout24.net"]
# Fetch pages through Chromium (scrapy-playwright) instead of plain HTTP; also `-a browser=1`.
SCARS_BROWSER = False

# --- Storage ----------------------------------------------------------------------------------
# Photos land in IMAGES_STORE/<model>/<image_id>.jpg, next to manifest.jsonl.
IMAGES_STORE = "data/raw"
# A stored photo is never fetched again; the store is the source of truth, not its age.
IMAGES_EXPIRES = 36500
# Pillow's own limit; anything larger is rejected as a decompression bomb, not decoded.
SCARS_MAX_IMAGE_PIXELS = 89_478_485
# Threads decoding and re-encoding photos beside the downloads; 0 is one per core. More threads
# than cores only hold more decoded photos in memory at once.
SCARS_CONVERT_THREADS = 0
ITEM_PIPELINES = {
    "scars_scrapy.pipelines.dedup.ImageIdDedupPipeline": 100,
    "scars_scrapy.pipelines.images.StoreImagesPipeline": 200,
    "scars_scrapy.pipelines.manifest.ManifestPipeline": 300,
}
# Photos of one listing arrive together; this bounds how many are in flight at once.
CONCURRENT_ITEMS = 32

# --- A crawl shared by several machines ----------------------------------------------------------
# Redis of a crawl shared by several workers (redis://host:6379/0); also read from the
# environment. Empty: a crawl of its own, and Redis is not needed.
SCARS_REDIS_URL = ""
# The least time between two page requests of all workers together, so N workers ask the site
# for pages at one crawl's pace; -1: DOWNLOAD_DELAY; 0: each worker paces itself alone.
SCARS_REDIS_PAGE_DELAY = -1.0
# A worker silent for this many seconds is taken for dead, and the others stop waiting for it.
SCARS_REDIS_WORKER_TIMEOUT = 30.0

# --- Progress ---------------------------------------------------------------------------------
EXTENSIONS = {"scars_scrapy.extensions.ProgressSummary": 500}
# Seconds between progress lines (0: only the final summary).
SCARS_PROGRESS_INTERVAL = 30.0
# The progress line's rate (photos/s) and time left are over the last this many seconds: long
# enough to smooth out a slow listing, short enough to follow a change in the site's pace.
SCARS_PROGRESS_WINDOW = 300.0
# Where to write the final summary as JSON (empty: log only).
SCARS_SUMMARY_FILE = ""
LOG_LEVEL = "INFO"
# The console shows scars' own lines; Scrapy's log goes to a file per run in this folder
# (empty: `logs/` beside IMAGES_STORE, i.e. data/logs/). `--verbose`, `-L LEVEL` or
# `-s LOG_LEVEL=...` show Scrapy's log on the console too; `LOG_FILE` names the file.
SCARS_LOG_DIR = ""

# --- Browser mode (only used with -a browser=1) -------------------------------------------------
# Debian's Chromium; `playwright install` is not needed.
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": "/usr/bin/chromium",
    "headless": True,
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ],
}
# Only the HTML document is needed: scripts, images and trackers are never fetched.
PLAYWRIGHT_ABORT_REQUEST = "scars_scrapy.browser.abort_request"
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 2

# --- Scrapy defaults changed ------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
# Both consoles execute code sent to a local port; an unattended crawl needs neither.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
