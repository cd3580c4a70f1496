"""Several models in one crawl against the local site: each into its own folder and manifest,
each counted on its own, and a model the site does not know reported without stopping the rest."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from sitecopy.site import VOGUE, Inventory, TestSite
from tests.crawler.conftest import REPO, crawl_command, quiet_command, run_crawl

pytestmark = pytest.mark.timeout(180)

DEFENDER = "/lst/land-rover/defender"


def stored(folder: Path) -> set[str]:
    return {path.stem for path in folder.glob("*.jpg")}


def recorded(folder: Path) -> list[str]:
    lines = (folder / "manifest.jsonl").read_text().splitlines()
    return [json.loads(line)["image_id"] for line in lines]


def test_several_models_one_crawl(
    test_site: tuple[TestSite, str], inventory: Inventory, tmp_path: Path
) -> None:
    site, origin = test_site
    vogue = [inventory.add(2021, 40_000 + n, 2) for n in range(25)]
    defender = [inventory.add(2022, 60_000 + n, 3, searches=(DEFENDER,)) for n in range(5)]
    both = inventory.add(2022, 70_000, 2, searches=(VOGUE, DEFENDER))
    store = tmp_path / "raw"

    crawl = run_crawl(
        origin, store, args={"model": "range-rover-vogue,defender,discovery", "years": "2021-2022"}
    )

    assert crawl.returncode == 0, crawl.log
    vogue_ids = {i for listing in [*vogue, both] for i in listing.image_ids}
    defender_ids = {i for listing in [*defender, both] for i in listing.image_ids}
    assert stored(store / "range-rover-vogue") == vogue_ids
    assert stored(store / "defender") == defender_ids  # the shared listing in both folders
    assert sorted(recorded(store / "range-rover-vogue")) == sorted(vogue_ids)
    assert sorted(recorded(store / "defender")) == sorted(defender_ids)
    assert not (store / "discovery").exists()
    assert crawl.count("model/range-rover-vogue/images/stored") == len(vogue_ids) == 52
    assert crawl.count("model/defender/images/stored") == len(defender_ids) == 17
    assert crawl.count("images/stored") == 52 + 17
    assert crawl.count("model/defender/listings/seen") == 6
    assert crawl.count("model/discovery/search_failed") == 1
    assert crawl.count("model/discovery/dropped/page_http_404") == 2  # one page for each year
    assert "Model discovery: its search failed (dropped/page_http_404 2)" in crawl.log
    pictures = site.paths("/pictures/")
    assert len(pictures) == len(set(pictures)) == 52 + 17 - 2  # the shared photos fetched once
    # 2021's empty page, 2022's page 1 and its empty page 2.
    assert crawl.count("model/defender/pages/search") == 3


def test_a_group_name_crawls_each_of_its_models(
    test_site: tuple[TestSite, str], inventory: Inventory, tmp_path: Path
) -> None:
    site, origin = test_site
    inventory.add(2022, 30_000, 2)
    crawl = run_crawl(origin, tmp_path / "raw", args={"model": "all-land-rover", "years": "2022"})
    assert crawl.returncode == 0, crawl.log
    assert stored(tmp_path / "raw" / "range-rover-vogue")
    searched = {path.split("?")[0] for path in site.paths("/lst/")}
    assert len(searched) == 7  # every model of the group, one search each
    assert crawl.count("search_failed") == 6  # the local site knows only the Vogue


def test_a_crawl_whose_every_search_failed_says_so_and_exits_1(
    test_site: tuple[TestSite, str], tmp_path: Path
) -> None:
    """A site that answers no model's search (unknown to it, down, blocking): the console names
    each model and says nothing was crawled, and the exit code tells a script it failed."""
    _, origin = test_site
    command, _ = crawl_command(
        origin, tmp_path / "raw", args={"model": "discovery", "years": "2022"}
    )
    done = subprocess.run(
        quiet_command(command), cwd=REPO, capture_output=True, text=True, timeout=120
    )
    console = done.stderr + done.stdout
    assert done.returncode == 1, console
    assert "Model discovery: its search failed (dropped/page_http_404 1)" in console
    assert "Nothing was crawled: the search of every model failed" in console
    assert "[scrapy" not in console  # the quiet console: scars' lines only
