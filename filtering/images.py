"""Reading a raw image safely: every way a file can be unusable becomes a named reason.

Colour modes other than RGB are converted rather than rejected: a CMYK, palette or transparent
photo of a car is still a photo of a car.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError


class BadImage(Exception):
    """A file that cannot be used; `reason` is a short stat name, the message says more."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class RawImage:
    """A decoded raw image, ready for the stages."""

    image_id: str
    path: Path
    image: Image.Image  # RGB
    source_mode: str
    pixel_sha256: str


def load_raw(path: Path, max_pixels: int) -> RawImage:
    """Decode `path` to RGB, or raise BadImage naming why it cannot be used."""
    image, mode = _decode(path, max_pixels)
    return RawImage(path.stem, path, image, mode, pixel_sha256(image))


def pixel_sha256(image: Image.Image) -> str:
    """A hash of the pixels, not the file: re-saved copies of one picture hash alike."""
    digest = hashlib.sha256(f"{image.width}x{image.height}:".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


def _decode(path: Path, max_pixels: int) -> tuple[Image.Image, str]:
    if path.stat().st_size == 0:
        raise BadImage("empty_file", f"{path}: the file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            # Our own size limit below decides; Pillow's warning would only repeat it.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                _check_size(path, opened.size, max_pixels)
                opened.load()
                mode = opened.mode
                image = ImageOps.exif_transpose(opened)
    except Image.DecompressionBombError as exc:
        raise BadImage("too_large", f"{path}: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise BadImage("not_an_image", f"{path}: not an image Pillow can read") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadImage("corrupt", f"{path}: corrupt or truncated image ({exc})") from exc
    return to_rgb(image), mode


def _check_size(path: Path, size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise BadImage(
            "too_large",
            f"{path}: {width}x{height} pixels is over the limit of {max_pixels:,} (--max-pixels)",
        )
    if min(width, height) < 32:
        raise BadImage("too_small", f"{path}: {width}x{height} pixels is too small to use")


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB pixels; transparency is laid on white, as a web page would show it."""
    if image.mode == "RGB":
        return image
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    return image.convert("RGB")
