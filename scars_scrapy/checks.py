"""The command line checked before a crawl: spider argument names, setting names and values.

What counts as a setting, and of which type, is read from the code that reads it: Scrapy, the
add-ons scars uses (scrapy-playwright, scrapy-redis) and scars itself, so the check follows
their versions instead of a list kept by hand. A value is checked with the very getter
(`getint`, `getfloat`, `getbool`, `getdict`) its reader calls.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from scrapy.settings import BaseSettings, Settings, default_settings

from scars_scrapy.config import ConfigError

# Packages whose code reads settings.
SOURCES = ("scrapy", "scrapy_playwright", "scrapy_redis", "scars_scrapy")
# `settings.getint("NAME"` and friends, also through a helper (`getint(resolve("NAME")`).
_TYPED_READ = re.compile(
    r"""\.get(bool|int|float|dict|withbase|list|dictorlist)?\(\s*(?:\w+\()?["']([A-Z][A-Z0-9_]+)["']"""
)
# Any quoted NAME_LIKE_THIS: settings read through tables (scrapy-redis's REDIS_URL) too.
_NAME = re.compile(r"""["']([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)["']""")
# The loosest reading wins: a setting read as an int in one place and a float in another
# takes floats.
_LOOSENESS = ("float", "int", "bool", "dict")
_EXPECTED = {
    "float": "a number (e.g. 0.5)",
    "int": "a whole number (e.g. 2)",
    "bool": "True or False (or 1/0, true/false)",
    "dict": 'a JSON object (e.g. {"name": 1})',
    "level": "a log level (DEBUG, INFO, WARNING, ERROR or CRITICAL)",
}
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class KnownSettings:
    names: frozenset[str]
    kinds: Mapping[str, str]  # setting -> the getter its readers use (float, int, bool, dict)


def closest(name: str, known: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return matches[0] if matches else None


def check_arguments(args: Iterable[str], known: Iterable[str]) -> None:
    """A `ConfigError` naming the first spider argument that is not in `known`."""
    known = sorted(known)
    for name in args:
        if name not in known:
            hint = closest(name, known)
            guess = f": did you mean {hint!r}?" if hint else ""
            raise ConfigError(f"unknown argument {name!r}{guess} (arguments: {', '.join(known)})")


def unknown_settings(names: Iterable[str], project: ModuleType) -> list[str]:
    """A warning for each of `names` that nothing reads, naming the closest known one."""
    known = known_settings(project).names
    warnings = []
    for name in names:
        if name not in known:
            hint = closest(name, known)
            guess = f" (did you mean {hint}?)" if hint else ""
            warnings.append(f"unknown setting {name}{guess}: it has no effect")
    return warnings


def check_values(names: Iterable[str], settings: BaseSettings, project: ModuleType) -> None:
    """A `ConfigError` naming the first of `names` whose value its readers cannot use."""
    kinds = known_settings(project).kinds
    for name in names:
        kind = (
            "level" if name == "LOG_LEVEL" else kinds.get(name) or _kind_of_default(name, project)
        )
        if kind is not None and not _readable(settings, name, kind):
            raise ConfigError(
                f"invalid value {settings.get(name)!r} for setting {name}: "
                f"expected {_EXPECTED[kind]}"
            )


def check_pairs(pairs: Iterable[str]) -> None:
    """A `ConfigError` naming the first `-s` pair that Scrapy cannot even store (no `=`, or
    a dict setting given text that is not JSON)."""
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ConfigError(f"invalid -s {pair!r}: use -s NAME=VALUE")
        try:
            Settings().set(name, value)
        except ValueError:
            raise ConfigError(
                f"invalid value {value!r} for setting {name}: expected {_EXPECTED['dict']}"
            ) from None


def _readable(settings: BaseSettings, name: str, kind: str) -> bool:
    if kind == "level":
        return str(settings.get(name)).upper() in _LEVELS
    try:
        getattr(settings, f"get{kind}")(name)
    except (ValueError, TypeError):
        return False
    return True


def _kind_of_default(name: str, project: ModuleType) -> str | None:
    """For a setting no typed getter reads by name, the type of its default, if any."""
    default = getattr(project, name, getattr(default_settings, name, None))
    kinds = ((bool, "bool"), (int, "int"), (float, "float"), (dict, "dict"))
    return next((kind for cls, kind in kinds if isinstance(default, cls)), None)


@functools.cache
def known_settings(project: ModuleType) -> KnownSettings:
    names = {name for name in dir(default_settings) if name.isupper()}
    names |= {name for name in dir(project) if name.isupper()}
    kinds: dict[str, set[str]] = {}
    for text in _sources():
        names.update(_NAME.findall(text))
        for kind, name in _TYPED_READ.findall(text):
            kinds.setdefault(name, set()).add({"withbase": "dict"}.get(kind, kind))
    loosest = {
        name: next((kind for kind in _LOOSENESS if kind in found), "")
        for name, found in kinds.items()
    }
    return KnownSettings(frozenset(names), {k: v for k, v in loosest.items() if v})


def _sources() -> Iterable[str]:
    for package in SOURCES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue  # an add-on that is not installed defines nothing
        for folder in spec.submodule_search_locations:
            for path in sorted(Path(folder).rglob("*.py")):
                try:
                    yield path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    logging.getLogger(__name__).debug("Not read: %s (%s)", path, exc)
