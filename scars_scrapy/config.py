"""The crawl's configuration: built once from spider arguments and settings, then read-only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from scars_scrapy import site
from scars_scrapy.catalogue import CATALOGUE, DEFAULT_SINCE, CarModel, check_slug, known_models

_YEARS = re.compile(r"^(\d{4})(?:-(\d{4}))?$")
_SIZE = re.compile(r"^\d{2,4}x\d{2,4}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
# Every `-a` name build_config reads; `scrapy crawl` refuses any other, naming the closest.
ARGUMENTS = ("model", "make", "version", "years", "site", "browser")


class ConfigError(ValueError):
    """A spider argument or setting that cannot work; the message names it."""


@dataclass(frozen=True)
class CrawlConfig:
    origin: str
    car: CarModel
    folder: str
    years: tuple[int, ...]
    # No `years` argument: every year is wanted, cars without a registration year (new) too.
    every_year: bool
    page_cap: int
    image_size: str
    image_format: str
    picture_hosts: frozenset[str]
    browser: bool

    @property
    def site_host(self) -> str:
        return urlsplit(self.origin).hostname or ""

    def allows_image(self, url: str) -> bool:
        """Pictures come from the site's picture host(s) or the site itself, nowhere else."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        return parts.scheme in ("http", "https") and host in self.picture_hosts | {self.site_host}


def build_config(args: Mapping[str, str], settings: BaseSettings) -> CrawlConfig:
    """The configuration for spider arguments `args`; `ConfigError` names any bad value."""
    try:
        car, folder = _car(args)
        years = parse_years(args.get("years"), car.since)
        origin = site.normalize_site(args.get("site") or site.DEFAULT_SITE)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return CrawlConfig(
        origin=origin,
        car=car,
        folder=folder,
        years=years,
        every_year=not args.get("years"),
        page_cap=_positive(settings, "SCARS_PAGE_CAP"),
        image_size=_image_size(settings.get("SCARS_IMAGE_SIZE")),
        image_format=_image_format(settings.get("SCARS_IMAGE_FORMAT")),
        picture_hosts=frozenset(settings.getlist("SCARS_PICTURE_HOSTS")),
        browser=_flag("browser", args.get("browser")) or settings.getbool("SCARS_BROWSER"),
    )


def _car(args: Mapping[str, str]) -> tuple[CarModel, str]:
    """The search and the store folder: a catalogue slug, or explicit make/model/version."""
    if not args.get("model"):
        raise ValueError(f"no model given: use -a model=<slug> (known models: {known_models()})")
    model = check_slug("model", str(args["model"]))
    if not args.get("make"):
        if model not in CATALOGUE:
            raise ValueError(
                f"unknown model {model!r}; known models: {known_models()} "
                "(or name any car with -a make=<make> -a model=<model> [-a version=<version>])"
            )
        return CATALOGUE[model], model
    make = check_slug("make", str(args["make"]))
    version = check_slug("version", str(args["version"])) if args.get("version") else None
    folder = "-".join(part for part in (make, model, version) if part)
    return CarModel(make, model, version, DEFAULT_SINCE), folder


def _flag(name: str, value: str | None) -> bool:
    text = str(value or "").strip().lower()
    if text not in _TRUE | _FALSE:
        raise ConfigError(f"invalid {name} {value!r}: use 1 or 0 (true/false, yes/no, on/off)")
    return text in _TRUE


def parse_years(value: str | None, since: int) -> tuple[int, ...]:
    """`2015-2025` or `2020` as the years to search; by default `since` to this year."""
    this_year = dt.datetime.now(dt.UTC).year
    if not value:
        return tuple(range(since, this_year + 1))
    match = _YEARS.match(value.strip())
    if match is None:
        raise ValueError(f"invalid years {value!r}: use YYYY or YYYY-YYYY (e.g. 2015-2025)")
    first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    if not 1900 <= first <= last <= this_year + 1:
        raise ValueError(f"invalid years {value!r}: need 1900 <= first <= last <= {this_year + 1}")
    return tuple(range(first, last + 1))


def _positive(settings: BaseSettings, name: str) -> int:
    value = settings.getint(name)
    if value < 1:
        raise ConfigError(f"setting {name} must be a positive integer, got {value}")
    return value


def _image_size(value: str) -> str:
    if not _SIZE.match(str(value)):
        raise ConfigError(f"setting SCARS_IMAGE_SIZE {value!r} is not WIDTHxHEIGHT (e.g. 1280x960)")
    return str(value)


def _image_format(value: str) -> str:
    if value not in ("webp", "jpg"):
        raise ConfigError(f"setting SCARS_IMAGE_FORMAT {value!r} must be webp or jpg")
    return str(value)
