"""Benchmark: the whole crawl (spider + pipelines) against the local test site, next to a floor.

The floor is the same pictures fetched and converted by a plain threaded loop (HTTP GET, Pillow
decode, JPEG encode, write), measured in the same run against the same server. The site answers
every request after `--latency` seconds, as a remote server would; politeness is off.

The defaults compare like with like: the crawler's default picture size, and as many floor
threads as the crawl has requests in flight.

With `--polite`, the crawl runs at the default politeness settings instead, against pages that
answer after `--page-latency` seconds and a picture host of its own (`localhost`, as the CDN is
another host) that answers after `--latency` seconds; it reports the pages and photos per second
the site saw, and what they make of a model of 1,000 listings. No floor is measured.

    python benchmarks/crawl.py [--images 5000] [--size 1280x960] [--latency 0.05]
                               [--floor-threads 32] [--concurrency 32]
    python benchmarks/crawl.py --polite [--images 600] [--page-latency 0.1] [--latency 0.05]
    python benchmarks/crawl.py --workers 2 [--images 2000] [--latency 0.05]

With `--workers N`, the same crawl (politeness off) runs once as one process and once as N
workers sharing it through a local `redis-server` (each with a store of its own); it reports the
photos per second of each, every worker's peak memory and CPU seconds, and the CPU seconds of
the test site's server and of Redis, to show where the time goes. No floor is measured.
"""

from __future__ import annotations

import argparse
import bisect
import http.client
import importlib.util
import io
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image

from benchmarks.memory import high_water_kb
from sitecopy.server import serve
from sitecopy.site import Inventory, TestSite

REPO = Path(__file__).resolve().parents[1]
RECORDED = REPO.parent / "shared" / "fixtures" / "autoscout24"
YEARS = range(2015, 2025)


def photo_pool(size: tuple[int, int], count: int = 32) -> list[bytes]:
    """Real photos (the ones Ultralytics ships), cropped and scaled, as the site's WebP."""
    # Found without importing ultralytics (and torch): nothing the benchmark needs.
    spec = importlib.util.find_spec("ultralytics")
    assert spec is not None and spec.submodule_search_locations
    assets = Path(next(iter(spec.submodule_search_locations))) / "assets"
    sources = [Image.open(assets / name).convert("RGB") for name in ("bus.jpg", "zidane.jpg")]
    rng, pool = random.Random(7), []
    for number in range(count):
        source = sources[number % 2]
        width, height = source.width * 3 // 4, source.height * 3 // 4
        left, top = rng.randrange(source.width - width), rng.randrange(source.height - height)
        out = io.BytesIO()
        source.crop((left, top, left + width, top + height)).resize(size).save(
            out, "WEBP", quality=80
        )
        pool.append(out.getvalue())
    return pool


def build_site(images: int, per_listing: int, size: tuple[int, int], latency: float) -> TestSite:
    inventory = Inventory(RECORDED, page_cap=200)
    for number in range(images // per_listing):
        inventory.add(YEARS[number % len(YEARS)], 20_000 + number * 37, per_listing)
    site = TestSite(inventory, latency=latency)
    site.pool = photo_pool(size)
    site.page_cache = {}
    return site


def floor(urls: list[str], out: Path, threads: int) -> float:
    """Seconds for a plain thread pool to GET, decode, re-encode and write every picture."""
    local = threading.local()

    def one(url: str) -> None:
        parts = urlsplit(url)
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        local.connection.request("GET", parts.path)
        body = local.connection.getresponse().read()
        buffer = io.BytesIO()
        Image.open(io.BytesIO(body)).convert("RGB").save(buffer, "JPEG")
        (out / f"{parts.path.rsplit('_', 1)[1][:36]}.jpg").write_bytes(buffer.getvalue())

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, urls))
    return time.perf_counter() - start


def unthrottled(concurrency: int) -> dict[str, object]:
    """Politeness off: as many requests in flight as the floor has threads."""
    return {
        "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "DOWNLOAD_SLOTS": "{}",
        "CONCURRENT_REQUESTS": concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "CONCURRENT_ITEMS": 100,
    }  # fmt: skip


def crawl(
    origin: str, store: Path, size: str, politeness: dict[str, object], log: Path
) -> tuple[float, float, dict]:
    """Seconds for the whole `scrapy crawl autoscout` (start-up included), its peak memory in
    MB, and its summary."""
    summary = store.parent / "summary.json"
    settings = {
        "IMAGES_STORE": store, "SCARS_SUMMARY_FILE": summary, "SCARS_IMAGE_SIZE": size,
        "SCARS_PROGRESS_INTERVAL": 10, "LOG_LEVEL": "INFO", **politeness,
    }  # fmt: skip
    command = crawl_command(origin, settings)
    start = time.perf_counter()
    with log.open("wb") as sink, subprocess.Popen(command, cwd=REPO, stderr=sink) as process:
        peak_kb = 0
        while process.poll() is None:
            peak_kb = max(peak_kb, high_water_kb(process.pid))
            time.sleep(0.05)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"crawl failed with exit code {process.returncode}")
    return seconds, peak_kb / 1024, json.loads(summary.read_text())


def crawl_command(origin: str, settings: dict[str, object]) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "autoscout", "-a", f"site={origin}"]
    command += ["-a", "model=range-rover-vogue", "-a", f"years={YEARS[0]}-{YEARS[-1]}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--per-listing", type=int, default=20)
    parser.add_argument("--size", default="1280x960", help="picture size (WIDTHxHEIGHT)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per response")
    parser.add_argument("--floor-threads", type=int, default=32)
    parser.add_argument("--concurrency", type=int, default=32, help="CONCURRENT_REQUESTS")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out" / "crawl.json")
    parser.add_argument("--polite", action="store_true", help="the default politeness settings")
    parser.add_argument(
        "--set", action="append", default=[], type=lambda pair: tuple(pair.split("=", 1)),
        metavar="NAME=VALUE", help="with --polite: a setting changed (to compare with the default)",
    )  # fmt: skip
    parser.add_argument("--page-latency", type=float, default=0.1, help="with --polite")
    parser.add_argument("--workers", type=int, default=0, help="N workers sharing one crawl")
    args = parser.parse_args()
    if args.workers:
        from benchmarks.crawl_workers import compare_workers

        result = compare_workers(args, build_site, unthrottled)
        report(result, args.out.with_name("crawl-workers.json"))
        return
    if args.polite:
        report(polite(args), args.out.with_name("crawl-polite.json"))
        return
    width, height = map(int, args.size.split("x"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    site = build_site(args.images, args.per_listing, (width, height), args.latency)
    inventory = site.inventory
    with serve(site) as origin, tempfile.TemporaryDirectory() as tmp:
        urls = [
            inventory.picture_url(listing, image_id, args.size)
            for listing in inventory.listings.values() for image_id in listing.image_ids
        ]  # fmt: skip
        (Path(tmp) / "floor").mkdir()
        floor_seconds = floor(urls, Path(tmp) / "floor", args.floor_threads)
        crawl_seconds, peak_mb, summary = crawl(
            origin, Path(tmp) / "raw", args.size, unthrottled(args.concurrency),
            args.out.with_suffix(".log"),
        )  # fmt: skip
        stored = len(list((Path(tmp) / "raw" / "range-rover-vogue").glob("*.jpg")))
    result = {
        "images": len(urls), "stored": stored, "size": args.size, "latency_s": args.latency,
        "floor_threads": args.floor_threads, "crawl_concurrency": args.concurrency,
        "floor_images_per_s": round(len(urls) / floor_seconds, 1),
        "crawl_images_per_s": round(stored / crawl_seconds, 1),
        "ratio": round((stored / crawl_seconds) / (len(urls) / floor_seconds), 2),
        "crawl_seconds": round(crawl_seconds, 1), "floor_seconds": round(floor_seconds, 1),
        "crawl_peak_rss_mb": round(peak_mb, 1),
        "finish_reason": summary["finish_reason"],
    }  # fmt: skip
    report(result, args.out)


def report(result: dict[str, object], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        print(f"{key:>24}: {value}")


def polite(args: argparse.Namespace) -> dict[str, object]:
    """The crawl at the default politeness: pages and pictures on hosts of their own, each
    with its latency. Rates are the site's: requests over the time between the first and
    the last."""
    images = 600 if "--images" not in sys.argv else args.images
    args.out.parent.mkdir(parents=True, exist_ok=True)
    width, height = map(int, args.size.split("x"))
    pages = build_site(images, args.per_listing, (width, height), args.page_latency)
    pictures = TestSite(pages.inventory, latency=args.latency)
    pictures.pool = pages.pool
    with (
        serve(pages) as origin,
        serve(pictures) as picture_origin,
        tempfile.TemporaryDirectory() as tmp,
    ):
        # The pictures' URLs point at the second server, by a host name of its own.
        pages.inventory.origin = picture_origin.replace("127.0.0.1", "localhost")
        politeness = {"SCARS_PICTURE_HOSTS": "localhost", **dict(args.set)}
        seconds, peak_mb, summary = crawl(
            origin, Path(tmp) / "raw", args.size, politeness, args.out.with_name("crawl-polite.log")
        )
    page_rate, photo_rate = site_rate(pages), site_rate(pictures)
    listings = 1000
    return {
        "images": images, "listings": len(pages.inventory.listings),
        "page_latency_s": args.page_latency, "picture_latency_s": args.latency,
        "settings": politeness,
        "pages": len(pages.hits), "pictures": len(pictures.hits),
        "pages_per_s": round(page_rate, 2), "photos_per_s": round(photo_rate, 2),
        "peak_pages_per_10s": peak(pages, 10.0), "crawl_seconds": round(seconds, 1),
        "crawl_peak_rss_mb": round(peak_mb, 1), "finish_reason": summary["finish_reason"],
        f"hours_for_{listings}_listings_of_{args.per_listing}_photos": round(
            max(listings * args.per_listing / photo_rate, listings * 1.05 / page_rate) / 3600, 1
        ),
    }  # fmt: skip


def site_rate(site: TestSite) -> float:
    """Requests per second between the site's first and last request."""
    times = [t for t, _ in site.hits]
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


def peak(site: TestSite, seconds: float) -> int:
    """The most requests the site saw in any `seconds`."""
    times = sorted(t for t, _ in site.hits)
    return max(
        (bisect.bisect_right(times, t + seconds) - i for i, t in enumerate(times)), default=0
    )


if __name__ == "__main__":
    main()
