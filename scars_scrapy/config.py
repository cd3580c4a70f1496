"""The crawl's configuration: built once from spider arguments and settings, then read-only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from scars_scrapy import redis_state, site
from scars_scrapy.catalogue import (
    CATALOGUE,
    DEFAULT_SINCE,
    GROUPS,
    SLUG,
    CarModel,
    check_slug,
    known_models,
)

_YEARS = re.compile(r"^(\d{4})(?:-(\d{4}))?$")
_SIZE = re.compile(r"^(\d+)x(\d+)$")
_SIDE = (10, 9999)  # pixels: the sizes the site's image URLs take
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
# Every `-a` name build_config reads; `scrapy crawl` refuses any other, naming the closest.
ARGUMENTS = ("model", "models", "make", "version", "years", "site", "browser")


class ConfigError(ValueError):
    """A spider argument or setting that cannot work; the message names it."""


@dataclass(frozen=True)
class ModelTarget:
    """One model of the crawl: its search, its store folder (also its name in stats and logs),
    and the years to search."""

    car: CarModel
    folder: str
    years: tuple[int, ...]

    def describe(self) -> str:
        car = self.car
        version = f" ({car.version})" if car.version else ""
        years = f"{self.years[0]}-{self.years[-1]}"
        return f"{self.folder}: {car.make}/{car.model}{version}, years {years}"


@dataclass(frozen=True)
class CrawlConfig:
    origin: str
    models: tuple[ModelTarget, ...]
    # No `years` argument: every year is wanted, cars without a registration year (new) too.
    every_year: bool
    page_cap: int
    image_size: str
    image_format: str
    picture_hosts: frozenset[str]
    browser: bool
    # A shared crawl's Redis (SCARS_REDIS_URL), checked reachable; "" for a crawl of its own.
    redis_url: str = ""

    def model(self, folder: str) -> ModelTarget:
        return next(target for target in self.models if target.folder == folder)

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
        cars = _cars(args)
        models = tuple(
            ModelTarget(car, folder, parse_years(args.get("years"), car.since))
            for folder, car in cars.items()
        )
        origin = site.normalize_site(args.get("site") or site.DEFAULT_SITE)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return CrawlConfig(
        origin=origin,
        models=models,
        every_year=not args.get("years"),
        page_cap=_positive(settings, "SCARS_PAGE_CAP"),
        image_size=_image_size(settings.get("SCARS_IMAGE_SIZE")),
        image_format=_image_format(settings.get("SCARS_IMAGE_FORMAT")),
        picture_hosts=frozenset(settings.getlist("SCARS_PICTURE_HOSTS")),
        browser=_flag("browser", args.get("browser")) or settings.getbool("SCARS_BROWSER"),
        redis_url=_redis(settings),
    )


def _redis(settings: BaseSettings) -> str:
    """The shared crawl's Redis URL, once it answers: a crawl never starts on one it cannot use."""
    url = redis_state.redis_url(settings)
    if url:
        try:
            redis_state.connect(url).close()
        except redis_state.RedisUnavailable as exc:
            raise ConfigError(str(exc)) from None
    return url


def _cars(args: Mapping[str, str]) -> dict[str, CarModel]:
    """Each model's store folder and search, in the order given, each once."""
    if args.get("make"):
        if args.get("models"):
            raise ValueError("models= lists models of their own: give it without make=")
        return dict([_explicit(args.get("make"), args.get("model"), args.get("version"))])
    if args.get("version"):
        raise ValueError("version= is the site's version of a make's model: give make= too")
    names = _model_names(args)
    if not names:
        raise ValueError(
            "no model given: use -a model=<slug>[,<slug>...] or -a models=<file> "
            f"(known models: {known_models()})"
        )
    cars: dict[str, CarModel] = {}
    for name in names:
        cars.update(_named(name))
    return cars


def _model_names(args: Mapping[str, str]) -> list[str]:
    """`model=a,b,c` and the lines of `models=FILE` (blank lines and `#` comments skipped)."""
    names = [part.strip() for part in str(args.get("model") or "").split(",") if part.strip()]
    if args.get("models"):
        path = Path(str(args["models"]))
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read models file {str(path)!r}: {exc}") from exc
        names += [line.split("#", 1)[0].strip() for line in lines]
    return [name for name in names if name]


def _named(name: str) -> list[tuple[str, CarModel]]:
    """A catalogue slug, a catalogue group, or `make/model[/version]` for any car."""
    if "/" in name:
        parts = name.split("/")
        if not 2 <= len(parts) <= 3 or not all(SLUG.match(part) for part in parts):
            raise ValueError(
                f"invalid model {name!r}: use make/model[/version], each a lower-case slug "
                "(e.g. land-rover/range-rover/vogue)"
            )
        return [_explicit(*parts)]
    slug = check_slug("model", name)
    if slug in GROUPS:
        return [(member, CATALOGUE[member]) for member in GROUPS[slug]]
    if slug not in CATALOGUE:
        raise ValueError(
            f"unknown model {slug!r}; known models: {known_models()} "
            "(or name any car as make/model[/version], or with -a make=<make> -a model=<model>)"
        )
    return [(slug, CATALOGUE[slug])]


def _explicit(
    make: str | None, model: str | None, version: str | None = None
) -> tuple[str, CarModel]:
    """Any car by the site's own slugs; its folder is `<make>-<model>[-<version>]`."""
    make = check_slug("make", str(make or ""))
    model = check_slug("model", str(model or ""))
    version = check_slug("version", str(version)) if version else None
    folder = "-".join(part for part in (make, model, version) if part)
    return folder, CarModel(make, model, version, DEFAULT_SINCE)


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
    match = _SIZE.match(str(value))
    if not match:
        raise ConfigError(f"setting SCARS_IMAGE_SIZE {value!r} is not WIDTHxHEIGHT (e.g. 1280x960)")
    low, high = _SIDE
    if not all(low <= int(side) <= high for side in match.groups()):
        raise ConfigError(
            f"setting SCARS_IMAGE_SIZE {value!r}: each side must be {low} to {high} pixels"
        )
    return str(value)


def _image_format(value: str) -> str:
    if value not in ("webp", "jpg"):
        raise ConfigError(f"setting SCARS_IMAGE_FORMAT {value!r} must be webp or jpg")
    return str(value)
