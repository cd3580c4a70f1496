"""The crawler's small pure parts: config, block detection, manifest and store reading."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.settings import Settings

from scars_scrapy import settings as project_settings
from scars_scrapy.catalogue import CATALOGUE
from scars_scrapy.config import ConfigError, build_config
from scars_scrapy.middlewares import PAGE_META, block_reason, retry_after
from scars_scrapy.pipelines.dedup import stored_ids
from scars_scrapy.pipelines.manifest import local_store, manifest_ids


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings({k: v for k, v in vars(project_settings).items() if k.isupper()})


@pytest.mark.parametrize(
    ("args", "folder", "search"),
    [
        ({"model": "range-rover-vogue"}, "range-rover-vogue",
         ("land-rover", "range-rover", "vogue")),
        ({"model": "defender"}, "defender", ("land-rover", "defender", None)),
        ({"make": "bmw", "model": "320"}, "bmw-320", ("bmw", "320", None)),
        ({"make": "bmw", "model": "3-series", "version": "320d"}, "bmw-3-series-320d",
         ("bmw", "3-series", "320d")),
        ({"model": "bmw/3-series/320d"}, "bmw-3-series-320d", ("bmw", "3-series", "320d")),
        ({"model": " bmw/320 "}, "bmw-320", ("bmw", "320", None)),
    ],
)  # fmt: skip
def test_models(settings: Settings, args: dict, folder: str, search: tuple) -> None:
    (target,) = build_config(args, settings).models
    assert target.folder == folder
    assert (target.car.make, target.car.model, target.car.version) == search


def test_several_models_in_the_order_given_each_once(settings: Settings, tmp_path: Path) -> None:
    listed = tmp_path / "models.txt"
    listed.write_text("# my models\ndefender\n\nbmw/320  # any car\nrange-rover-vogue\n")
    config = build_config({"model": "discovery,defender", "models": str(listed)}, settings)
    folders = [target.folder for target in config.models]
    assert folders == ["discovery", "defender", "bmw-320", "range-rover-vogue"]
    assert config.model("discovery").years[0] == 1989  # each model from its own first year
    assert config.model("bmw-320").years[0] == 1990


def test_a_named_group_is_its_catalogue_models(settings: Settings) -> None:
    config = build_config({"model": "all-land-rover"}, settings)
    assert [target.folder for target in config.models] == list(CATALOGUE)
    assert len(config.models) == 7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"model": "defender,vogu"}, "unknown model 'vogu'; known models: defender, "),
        ({"model": "bmw/"}, "invalid model 'bmw/': use make/model[/version]"),
        ({"model": "a/b/c/d"}, "invalid model 'a/b/c/d'"),
        ({"model": ","}, "no model given"),
        ({"models": "/nonexistent/m.txt"}, "cannot read models file '/nonexistent/m.txt'"),
        ({"make": "bmw", "model": "320", "models": "m.txt"}, "give it without make="),
        ({"model": "defender", "version": "vogue"}, "give make= too"),
    ],
)  # fmt: skip
def test_bad_model_lists(settings: Settings, args: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        build_config(args, settings)


def test_config_defaults(settings: Settings) -> None:
    config = build_config({"model": "range-rover-velar"}, settings)
    assert config.origin == "https://www.autoscout24.com"
    assert config.model("range-rover-velar").years == tuple(
        range(2017, dt.datetime.now(dt.UTC).year + 1)
    )
    assert (config.page_cap, config.image_size, config.image_format) == (200, "1280x960", "webp")
    assert not config.browser
    assert build_config({"model": "defender", "years": "2020"}, settings).models[0].years == (2020,)
    assert build_config({"model": "defender", "browser": "1"}, settings).browser


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://prod.pictures.autoscout24.net/listing-images/a_b.jpg/1280x960.webp", True),
        ("https://www.autoscout24.de/listing-images/a_b.jpg/1280x960.webp", True),
        ("https://pictures.example.net/listing-images/a_b.jpg/1280x960.webp", False),
        ("ftp://prod.pictures.autoscout24.net/x.jpg", False),
    ],
)
def test_picture_hosts(settings: Settings, url: str, allowed: bool) -> None:
    config = build_config({"model": "defender", "site": "www.autoscout24.de"}, settings)
    assert config.allows_image(url) is allowed


def test_bad_setting_is_named(settings: Settings) -> None:
    bad = settings.copy()
    bad.set("SCARS_PAGE_CAP", 0)
    with pytest.raises(ConfigError, match="SCARS_PAGE_CAP"):
        build_config({"model": "defender"}, bad)


def _response(status: int, body: bytes, page: bool = True, **headers: str) -> tuple:
    request = Request("https://www.autoscout24.com/lst/bmw", meta={PAGE_META: page})
    response = HtmlResponse(request.url, status=status, body=body, headers=headers, request=request)
    return request, response


@pytest.mark.parametrize(
    ("status", "body", "page", "reason"),
    [
        (200, b'<script id="__NEXT_DATA__">{}</script>', True, None),
        (200, b"<html>Just a moment... captcha</html>", True, "challenge"),
        (200, b"<html>maintenance</html>", True, "no_page_data"),
        (200, b"\xff\xd8 picture bytes", False, None),
        (403, b"", False, "http_403"),
        (429, b"", True, "http_429"),
        (503, b"", True, "http_503"),
        (500, b"", True, None),  # a server error: Scrapy's retry, not a block
        (410, b"", True, None),
    ],
)
def test_block_reason(status: int, body: bytes, page: bool, reason: str | None) -> None:
    assert block_reason(*_response(status, body, page)) == reason


def test_retry_after() -> None:
    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 120, usegmt=True)
    assert retry_after(_response(429, b"", **{"Retry-After": "7"})[1], now) == 7
    assert retry_after(_response(429, b"", **{"Retry-After": date})[1], now) == pytest.approx(120)
    assert retry_after(_response(429, b"", **{"Retry-After": "soon"})[1], now) is None
    assert retry_after(_response(429, b"")[1], now) is None


def test_store_reading_survives_a_killed_run(tmp_path: Path) -> None:
    folder = tmp_path / "defender"
    folder.mkdir()
    records = [json.dumps({"image_id": name}) for name in ("a", "b", "c")]
    # "c" was being written when the run was killed: a torn last line.
    (folder / "manifest.jsonl").write_text("\n".join(records[:2]) + "\n" + records[2][:9])
    for name in ("a", "b", "orphan"):  # "orphan": stored, but its record was never written
        (folder / f"{name}.jpg").write_bytes(b"jpeg")
    assert manifest_ids(folder / "manifest.jsonl") == {"a", "b"}
    assert stored_ids(folder) == {"a", "b"}
    assert stored_ids(tmp_path / "missing") == set()


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("data/raw", "data/raw"),
        ("file:///srv/raw", "/srv/raw"),
        ("s3://bucket/raw", None),
        ("", None),
    ],
)
def test_local_store(uri: str, expected: str | None) -> None:
    settings = Settings({"IMAGES_STORE": uri})
    if expected is None:
        with pytest.raises(ValueError, match="IMAGES_STORE"):
            local_store(settings)
    else:
        assert local_store(settings) == Path(expected)
