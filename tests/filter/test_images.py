"""Reading raw images: bad files become named reasons, odd colour modes become RGB."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from filtering.images import BadImage, load_raw, pixel_sha256
from filtering.listing import list_images

LIMIT = 50_000_000


def _jpeg_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


PHOTO = Image.radial_gradient("L").resize((400, 300)).convert("RGB")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.jpg", b"", "empty_file"),
        ("truncated.jpg", _jpeg_bytes(PHOTO)[:600], "corrupt"),
        ("page.jpg", b"<!doctype html><html><body>Access denied</body></html>", "not_an_image"),
        ("noise.jpg", bytes(range(256)) * 20, "not_an_image"),
        ("tiny.jpg", _jpeg_bytes(PHOTO.resize((20, 15))), "too_small"),
    ],
)
def test_bad_files_are_named_reasons(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BadImage) as raised:
        load_raw(path, LIMIT)
    assert raised.value.reason == reason
    assert name in str(raised.value)
    assert path.read_bytes() == content  # the source is left as it was


def test_an_image_over_the_pixel_limit_is_rejected_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    Image.new("L", (6000, 5000)).save(path)
    with pytest.raises(BadImage) as raised:
        load_raw(path, max_pixels=20_000_000)
    assert raised.value.reason == "too_large"
    assert "6000x5000" in str(raised.value)


def test_an_image_over_pillows_bomb_limit_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    Image.new("1", (20_000, 10_000)).save(path)  # 200 MP: beyond Pillow's own limit
    with pytest.raises(BadImage) as raised:
        load_raw(path, max_pixels=10**12)
    assert raised.value.reason == "too_large"


@pytest.mark.parametrize("mode", ["CMYK", "P", "RGBA", "LA", "L"])
def test_other_colour_modes_become_rgb(tmp_path: Path, mode: str) -> None:
    path = tmp_path / f"{mode}.png" if mode != "CMYK" else tmp_path / "cmyk.jpg"
    PHOTO.convert(mode).save(path)
    raw = load_raw(path, LIMIT)
    assert raw.image.mode == "RGB"
    assert raw.source_mode == mode
    assert raw.image.size == PHOTO.size


def test_transparency_is_laid_on_white(tmp_path: Path) -> None:
    path = tmp_path / "clear.png"
    Image.new("RGBA", (64, 64), (255, 0, 0, 0)).save(path)
    assert load_raw(path, LIMIT).image.getpixel((10, 10)) == (255, 255, 255)


def test_same_pixels_hash_alike_whatever_the_file_bytes(tmp_path: Path) -> None:
    PHOTO.save(tmp_path / "a.png")
    PHOTO.save(tmp_path / "b.png", compress_level=1)
    PHOTO.save(tmp_path / "c.webp", lossless=True)
    other = PHOTO.copy()
    other.putpixel((0, 0), (1, 2, 3))
    other.save(tmp_path / "d.png")
    hashes = {p.name: load_raw(p, LIMIT).pixel_sha256 for p in list_images(tmp_path)}
    assert (tmp_path / "a.png").read_bytes() != (tmp_path / "b.png").read_bytes()
    assert hashes["a.png"] == hashes["b.png"] == hashes["c.webp"]
    assert hashes["d.png"] != hashes["a.png"]


@pytest.mark.parametrize("mode", ["RGB", "CMYK", "P", "L"])
def test_the_hash_is_the_one_earlier_runs_recorded(tmp_path: Path, mode: str) -> None:
    # Records of earlier runs keep the SHA-256 of `<width>x<height>:` and Pillow's RGB bytes; a
    # new photo is an exact duplicate of a stored one only if it hashes the same way.
    path = tmp_path / f"{mode}.png" if mode != "CMYK" else tmp_path / "cmyk.jpg"
    PHOTO.convert(mode).save(path)
    raw = load_raw(path, LIMIT)
    recorded = hashlib.sha256(b"400x300:" + raw.image.tobytes()).hexdigest()
    assert raw.pixel_sha256 == pixel_sha256(raw.image) == recorded
