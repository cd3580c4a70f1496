"""The item pipelines built in-process as Scrapy builds them (`get_crawler`), on real files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from scars_scrapy.items import ImageItem
from scars_scrapy.pipelines.dedup import ImageIdDedupPipeline, stored_ids
from scars_scrapy.pipelines.images import StoreImagesPipeline
from scars_scrapy.pipelines.manifest import MANIFEST, ManifestPipeline, manifest_ids, read_manifest


def stored_item(image_id: str, folder: str = "vogue") -> ImageItem:
    url = f"https://pictures.example/{image_id}.webp"
    item = ImageItem(image_id, folder, [url], "listing-1", "https://site.example/offers/1")
    item.images = [{"url": url, "path": f"{folder}/{image_id}.jpg", "checksum": "c0ffee",
                    "status": "downloaded"}]  # fmt: skip
    item.width, item.height = 64, 48
    return item


def test_manifest_starts_after_a_torn_line(tmp_path: Path) -> None:
    """A run killed mid-write leaves a torn last line: the next record goes on a line of its
    own, and readers keep every whole record."""
    folder = tmp_path / "vogue"
    folder.mkdir()
    whole = json.dumps({"image_id": "a"})
    (folder / MANIFEST).write_text(whole + "\n" + '{"image_id": "b", "listi')
    crawler = get_crawler(settings_dict={"IMAGES_STORE": str(tmp_path)})
    pipeline = ManifestPipeline.from_crawler(crawler)
    pipeline.process_item(stored_item("c"))
    pipeline.close_spider()
    lines = (folder / MANIFEST).read_text().splitlines()
    assert lines[0] == whole and lines[1] == '{"image_id": "b", "listi'
    assert json.loads(lines[2])["image_id"] == "c" and len(lines) == 3
    assert manifest_ids(folder / MANIFEST) == {"a", "c"}


def test_manifest_appends_to_a_whole_file_without_a_blank_line(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"IMAGES_STORE": str(tmp_path)})
    for image_id in ("a", "b"):
        pipeline = ManifestPipeline.from_crawler(crawler)
        pipeline.process_item(stored_item(image_id))
        pipeline.close_spider()
    lines = (tmp_path / "vogue" / MANIFEST).read_text().splitlines()
    assert [json.loads(line)["image_id"] for line in lines] == ["a", "b"]


def test_dedup_drops_stored_and_repeated_ids_per_model(tmp_path: Path) -> None:
    folder = tmp_path / "vogue"
    folder.mkdir()
    (folder / "stored.jpg").write_bytes(b"x")
    (folder / "unrecorded.jpg").write_bytes(b"x")  # killed between file and record
    (folder / MANIFEST).write_text(json.dumps({"image_id": "stored"}) + "\n")
    crawler = get_crawler(settings_dict={"IMAGES_STORE": str(tmp_path)})
    pipeline = ImageIdDedupPipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match="already stored"):
        pipeline.process_item(stored_item("stored"))
    assert pipeline.process_item(stored_item("unrecorded")).image_id == "unrecorded"
    pipeline.process_item(stored_item("new"))
    with pytest.raises(DropItem, match="seen earlier"):
        pipeline.process_item(stored_item("new"))
    pipeline.process_item(stored_item("new", folder="defender"))  # another model's folder
    stats = crawler.stats.get_stats()
    assert stats["scars/skipped/already_stored"] == 1
    assert stats["scars/model/vogue/skipped/duplicate_id"] == 1
    assert stats["scars/store/already_stored"] == 1
    assert "scars/model/defender/skipped/duplicate_id" not in stats


def picture(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height)).save(out, "PNG")
    return out.getvalue()


def test_the_pixel_limit_is_the_pipelines_own() -> None:
    """SCARS_MAX_IMAGE_PIXELS refuses a picture from its header; Pillow's limit for the whole
    process stays as it was."""
    before = Image.MAX_IMAGE_PIXELS
    pipeline = object.__new__(StoreImagesPipeline)  # the check alone needs no downloader
    pipeline.max_pixels = 100
    with pytest.raises(Image.DecompressionBombError, match="20x20 pixels is over"):
        pipeline._refuse_bomb(picture(20, 20))
    pipeline._refuse_bomb(picture(10, 10))
    assert before == Image.MAX_IMAGE_PIXELS


def test_readers_take_every_workers_manifest(tmp_path: Path) -> None:
    """A shared crawl's workers each append to their own manifest; the dedup and every reader
    of the folder take them together, torn lines and all."""
    folder = tmp_path / "vogue"
    folder.mkdir()
    (folder / MANIFEST).write_text(json.dumps({"image_id": "a"}) + "\n")
    (folder / "manifest-host1-11.jsonl").write_text(json.dumps({"image_id": "b"}) + "\n{")
    (folder / "manifest-host2-12.jsonl").write_text(json.dumps({"image_id": "c"}) + "\n")
    for image_id in "abcd":
        (folder / f"{image_id}.jpg").write_bytes(b"x")
    manifest = read_manifest(folder)
    assert set(manifest.rows) == {"a", "b", "c"} and manifest.bad_lines == 1
    assert stored_ids(folder) == {"a", "b", "c"}  # d has no record: the next run records it
