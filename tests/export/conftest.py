"""A model folder crawled, filtered and reviewed for real, once for all export tests.

- Crawled: a real `scrapy crawl autoscout` against the local test site, whose pictures are bus
  scenes (colour: a front; grey: a front turned to one side) and pictures without a vehicle.
- Filtered: `python filtering/run.py` with the real detector and the tiny classifier of the
  filtering tests (colour crops to clean/, grey ones to questionable/).
- Reviewed: through the review tool's session, as its keys and `A` do: one clean crop rejected,
  one moved to questionable, one questionable crop moved to clean, one kept as clean, all applied;
  then one more clean crop rejected and not applied (the window closed without applying).
- One photo's manifest row is removed, as a crawl killed between storing and recording leaves it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from review_tool.session import ReviewSession, SessionConfig
from sitecopy.server import serve
from sitecopy.site import Inventory, TestSite
from tests.crawler.conftest import PAGE_CAP, run_crawl
from tests.filter.conftest import tiny_classifier  # noqa: F401  (the fixture, shared)
from tests.filter.scenes import bus_scene, empty_scene, gray, run_filtering

MODEL = "range-rover-vogue"
# The pictures of each listing, by listing number modulo 4.
KINDS = (
    ("colour", "grey", "empty"),
    ("colour", "colour"),
    ("grey", "grey", "colour"),
    ("colour", "empty"),
)
LISTINGS = 8


@dataclass(frozen=True)
class Reviewed:
    root: Path  # the folder a user runs commands in
    data: Path
    decided: dict[str, str]  # image ID -> review decision (applied or not)
    pending_rejected: str  # decided rejected, not applied: still in clean/
    unrecorded: str  # its manifest row was removed

    @property
    def final(self) -> Path:
        return self.data / "final" / MODEL

    @property
    def raw(self) -> Path:
        return self.data / "raw" / MODEL


class SceneSite(TestSite):
    """The test site with bus scenes for pictures: the kind from the image's place in its listing,
    the background from its ID, so no two pictures share their pixels."""

    def __init__(self, inventory: Inventory, bus_photo: Path) -> None:
        super().__init__(inventory)
        self.kinds = {
            image_id: KINDS[number % len(KINDS)][place]
            for number, listing in enumerate(inventory.listings.values())
            for place, image_id in enumerate(listing.image_ids)
        }
        self.bus_photo = bus_photo

    def picture(self, image_id: str, fmt: str) -> bytes:
        seed = bytes.fromhex(image_id[:6])
        kind = self.kinds[image_id]
        if kind == "empty":
            image = empty_scene(seed[0])
        else:
            image = bus_scene(self.bus_photo, (seed[0] // 2, seed[1] // 2, seed[2] // 2))
            image = gray(image) if kind == "grey" else image
        out = io.BytesIO()
        image.resize((image.width // 2, image.height // 2)).save(
            out, "WEBP" if fmt == "webp" else "JPEG", quality=90
        )
        return out.getvalue()


@pytest.fixture(scope="session")
def site(recorded_pages: Path, bus_photo: Path) -> Iterator[str]:
    inventory = Inventory(recorded_pages, page_cap=PAGE_CAP)
    for number in range(LISTINGS):
        inventory.add(2021, 30_000 + number * 1_000, len(KINDS[number % len(KINDS)]))
    with serve(SceneSite(inventory, bus_photo)) as origin:
        yield origin


@pytest.fixture(scope="session")
def reviewed(
    site: str, tmp_path_factory: pytest.TempPathFactory, detector_weights: Path,
    tiny_classifier: Path,  # noqa: F811
) -> Reviewed:  # fmt: skip
    root = tmp_path_factory.mktemp("export")
    data = root / "data"
    crawl = run_crawl(site, data / "raw", args={"years": "2021"})
    assert crawl.returncode == 0, crawl.log
    filtering = run_filtering(
        root, "--model", MODEL, "--detector", str(detector_weights),
        "--classifier", str(tiny_classifier), "--near-duplicate-distance", "-1",
    )  # fmt: skip
    assert filtering.returncode == 0, filtering.stderr
    final = data / "final" / MODEL
    clean, questionable = _ids(final / "clean"), _ids(final / "questionable")
    assert len(clean) >= 6 and len(questionable) >= 2, (clean, questionable)
    decided = {clean[0]: "rejected", clean[1]: "questionable", questionable[0]: "clean"}
    decided[clean[2]] = "clean"
    _review(final, decided, apply=True)
    _review(final, {clean[3]: "rejected"}, apply=False)
    unrecorded = clean[4]
    _drop_manifest_row(data / "raw" / MODEL / "manifest.jsonl", unrecorded)
    return Reviewed(root, data, decided | {clean[3]: "rejected"}, clean[3], unrecorded)


def _ids(folder: Path) -> list[str]:
    return sorted(path.stem for path in folder.glob("*.jpg"))


def _review(final: Path, decisions: dict[str, str], apply: bool) -> None:
    session = ReviewSession(SessionConfig(folder=final))
    for image_id, target in decisions.items():
        session.decide([image_id], target)
    if apply:
        report = session.apply()
        assert not (report.conflicts or report.not_applied or report.errors)


def _drop_manifest_row(manifest: Path, image_id: str) -> None:
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if json.loads(line)["image_id"] != image_id]
    assert len(kept) == len(lines) - 1
    manifest.write_text("".join(kept), encoding="utf-8")
