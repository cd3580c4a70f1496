"""What workers of one crawl share in Redis besides scrapy-redis's queue and dupefilter: the
search's bookkeeping (a `Tally`), the image IDs stored anywhere, and who is working.

Every key is under `<spider>:scars:` next to scrapy-redis's own `<spider>:requests` and
`<spider>:dupefilter`. A run's keys (bookkeeping, claims) are cleared when a new run starts; the
stored image IDs are kept, so a later crawl downloads only new photos, on any machine.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import redis

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

URL_SETTING = "SCARS_REDIS_URL"


class RedisUnavailable(ValueError):
    """Redis cannot be used at the URL given; the message names it."""


def redis_url(settings: BaseSettings) -> str:
    """SCARS_REDIS_URL from `-s` or the settings, else from the environment ("" when unset)."""
    return str(settings.get(URL_SETTING) or os.environ.get(URL_SETTING, "")).strip()


def connect(url: str) -> redis.Redis:
    """A client for `url`, checked with a PING; `RedisUnavailable` names the URL otherwise."""
    try:
        client = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5)
        client.ping()
    except ValueError as exc:  # redis-py's message for a malformed URL
        raise RedisUnavailable(f"invalid {URL_SETTING} {url!r}: {exc}") from None
    except redis.RedisError as exc:
        raise RedisUnavailable(f"cannot reach Redis at {URL_SETTING} {url!r}: {exc}") from None
    return client


def worker_name() -> str:
    """This process among the crawl's workers: host and process ID."""
    return f"{socket.gethostname()}-{os.getpid()}"


def run_prefix(spider: str) -> str:
    return f"{spider}:scars:run:"


class RedisTally:
    """The bookkeeping's `Tally` in Redis sets and hashes: SADD and HSETNX are atomic, so a
    walk is claimed by exactly one worker."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client, self.prefix = client, prefix

    def _key(self, kind: str, name: str) -> str:
        return f"{self.prefix}{kind}:{name}"

    def add(self, name: str, members: Iterable[str]) -> int:
        values = list(members)
        return int(self.client.sadd(self._key("set", name), *values)) if values else 0

    def size(self, name: str) -> int:
        return int(self.client.scard(self._key("set", name)))

    def put(self, name: str, key: str, value: int) -> None:
        self.client.hset(self._key("map", name), key, value)

    def get(self, name: str, keys: Sequence[str]) -> list[int | None]:
        values: list[Any] = self.client.hmget(self._key("map", name), list(keys))
        return [None if value is None else int(value) for value in values]

    def claim(self, name: str, key: str) -> bool:
        return bool(self.client.hsetnx(self._key("claim", name), key, 1))


def clear_run(client: redis.Redis, prefix: str) -> int:
    """Deletes a finished or abandoned run's keys; how many."""
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    return int(client.delete(*keys)) if keys else 0


def stored_images(crawler: Crawler) -> StoredImages | None:
    """The shared store's image IDs for the pipelines; None without SCARS_REDIS_URL."""
    url = redis_url(crawler.settings)
    return StoredImages(connect(url), str(crawler.spidercls.name)) if url else None


class StoredImages:
    """Image IDs stored by any worker (kept across runs), and those a worker of this run has
    claimed for download (cleared with the run, so a killed worker's claims are retried)."""

    def __init__(self, client: redis.Redis, spider: str) -> None:
        self.client = client
        self.stored_key = f"{spider}:scars:stored:"
        self.claim_key = f"{run_prefix(spider)}images:"

    def is_stored(self, folder: str, image_id: str) -> bool:
        return bool(self.client.sismember(self.stored_key + folder, image_id))

    def claim(self, folder: str, image_id: str) -> bool:
        """True for the one worker that is to download this image in this run."""
        return bool(self.client.sadd(self.claim_key + folder, image_id))

    def mark_stored(self, folder: str, image_id: str) -> None:
        self.client.sadd(self.stored_key + folder, image_id)

    def mark_all_stored(self, folder: str, image_ids: Iterable[str]) -> None:
        ids = list(image_ids)
        for start in range(0, len(ids), 1000):
            self.client.sadd(self.stored_key + folder, *ids[start : start + 1000])
