"""Car models known by a single slug, as `-a model=<slug>` names them."""

from __future__ import annotations

import re
from dataclasses import dataclass

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class CarModel:
    """A search on the site: make and model slugs, an optional version facet (`ve_<version>`),
    and the first registration year worth searching from."""

    make: str
    model: str
    version: str | None
    since: int


# Current Land Rover models; their search slugs as the site spells them (see SITE.md).
CATALOGUE: dict[str, CarModel] = {
    "range-rover-vogue": CarModel("land-rover", "range-rover", "vogue", 1994),
    "range-rover-sport": CarModel("land-rover", "range-rover-sport", None, 2005),
    "range-rover-evoque": CarModel("land-rover", "range-rover-evoque", None, 2011),
    "range-rover-velar": CarModel("land-rover", "range-rover-velar", None, 2017),
    "defender": CarModel("land-rover", "defender", None, 1990),
    "discovery": CarModel("land-rover", "discovery", None, 1989),
    "discovery-sport": CarModel("land-rover", "discovery-sport", None, 2014),
}
# Named families of catalogue models, each selected with `-a model=<group>`.
GROUPS: dict[str, tuple[str, ...]] = {"all-land-rover": tuple(CATALOGUE)}
# Where the catalogue does not know a model, search from this year.
DEFAULT_SINCE = 1990


def check_slug(name: str, value: str) -> str:
    """`value` if it is a slug (lower case, digits, single dashes), else a ValueError naming it."""
    if not SLUG.match(value):
        raise ValueError(
            f"invalid {name} {value!r}: use lower-case letters, digits and single '-' "
            "(e.g. range-rover-vogue)"
        )
    return value


def known_models() -> str:
    return f"{', '.join(sorted(CATALOGUE))}; groups: {', '.join(sorted(GROUPS))}"
