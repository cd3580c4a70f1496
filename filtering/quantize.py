"""The int8 detector (`--detector-runtime onnx-int8`, the default on the CPU): filtering's ONNX
export of a `.pt` detector, quantised by ONNX Runtime to 8-bit integers.

Static quantisation: the activations' ranges are measured once, on calibration pictures made from
the vehicle photo Ultralytics ships (`bus.jpg`, pasted at many places and scales on plain
backgrounds, as the generated scenes of the benchmarks), so the export never depends on a user's
photos and is made alike everywhere. On the 100 real photos it keeps every crop the float
detector makes, every front view's box within IoU 0.97 of PyTorch's, at 1.16 times the float
export's rate of detection and 1.6 times PyTorch's (figures in README "Choosing the detector").

The head's last layers stay float: the network's output puts box coordinates (up to the input
size) and class scores (0 to 1) in one tensor, and at 8 bits over the coordinates' range every
score would round to a few levels. Quantised whole, the detector lost 5 of the 54 real front views.
"""

from __future__ import annotations

import logging
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from filtering.files import scratch_folder, write_atomic
from filtering.weights import logged_at

CALIBRATION_PICTURES = 20
# Ultralytics' YOLOv8 head is its last module: the convolutions that give each box's distances
# (cv2.k.2) and class scores (cv3.k.2), the distribution-to-distance layer (dfl) and every step
# after them.
_FLOAT_HEAD = re.compile(r"cv[23]\.\d+/cv[23]\.\d+\.2/|/dfl/")


def int8_export(float_export: Path, imgsz: int) -> Path:
    """The int8 copy of `float_export` beside it, made if it is not there yet."""
    target = float_export.with_name(f"{float_export.stem}-int8.onnx")
    if not target.is_file():
        print(f"Quantising {float_export.name} to int8, once (kept beside it)", file=sys.stderr)
        write_atomic(target, lambda partial: _quantise(float_export, imgsz, partial))
    return target


def _quantise(float_export: Path, imgsz: int, partial: Path) -> None:
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static, shape_inference

    # ONNX Runtime's quantiser logs advice at WARNING, to the root logger, for every model.
    with (
        logged_at(None, logging.ERROR),
        scratch_folder(partial) as tmp,
    ):
        prepared = Path(tmp) / "prepared.onnx"
        # Symbolic shape inference gives up on the dynamic export's shapes; ONNX's own suffices.
        shape_inference.quant_pre_process(
            str(float_export), str(prepared), skip_symbolic_shape=True
        )
        quantize_static(
            str(prepared),
            str(partial),
            _Pictures(imgsz),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=float_head(prepared),
        )
    _keep_metadata(float_export, partial)


def float_head(model_path: Path) -> list[str]:
    """The names of the head's nodes that stay float: all of the last module (`model.<n>`) but
    the convolutions before its output layers."""
    import onnx

    nodes = onnx.load(str(model_path)).graph.node
    last = max(int(m.group(1)) for n in nodes if (m := re.match(r"/model\.(\d+)/", n.name)))
    head = [n for n in nodes if n.name.startswith(f"/model.{last}/")]
    return [n.name for n in head if n.op_type != "Conv" or _FLOAT_HEAD.search(n.name)]


def _keep_metadata(source: Path, quantised: Path) -> None:
    """Ultralytics reads its class names, stride and task from the model's metadata."""
    import onnx

    model = onnx.load(str(quantised))
    del model.metadata_props[:]
    model.metadata_props.extend(onnx.load(str(source)).metadata_props)
    onnx.save(model, str(quantised))


class _Pictures:
    """ONNX Runtime's calibration reader: the calibration pictures, letterboxed as Ultralytics
    letterboxes a photo for a dynamic export (scaled to `imgsz`, padded to a multiple of 32)."""

    def __init__(self, imgsz: int) -> None:
        self.inputs: Iterator[dict[str, Any]] = (
            {"images": _letterboxed(p, imgsz)} for p in bus_scenes(CALIBRATION_PICTURES, seed=7)
        )

    def get_next(self) -> dict[str, Any] | None:
        return next(self.inputs, None)


def _letterboxed(picture: Image.Image, imgsz: int) -> Any:
    from ultralytics.data.augment import LetterBox

    bgr = np.asarray(picture)[:, :, ::-1]
    boxed: Any = LetterBox((imgsz, imgsz), auto=True, stride=32)(image=bgr)
    return np.ascontiguousarray(boxed[:, :, ::-1].transpose(2, 0, 1)[None], np.float32) / 255


def bus_scenes(count: int, seed: int) -> list[Image.Image]:
    """1280x960 pictures (a listing photo's size): the bus photo at a random place and scale,
    mirrored at times and cut by an edge at times; one in four a plain grey shape, no vehicle.
    The calibration pictures, and the benchmarks' generated scenes (with another seed)."""
    import ultralytics

    bus = Image.open(Path(ultralytics.__file__).parent / "assets" / "bus.jpg").convert("RGB")
    rng = random.Random(seed)
    pictures = []
    for k in range(count):
        canvas = Image.new("RGB", (1280, 960), tuple(rng.randrange(256) for _ in range(3)))
        if k % 4 == 3:
            ImageDraw.Draw(canvas).rectangle((200, 300, 900, 700), fill=(90, 90, 90))
        else:
            scale = rng.uniform(0.3, 0.9)
            piece = bus.resize((int(bus.width * scale), int(bus.height * scale)))
            piece = ImageOps.mirror(piece) if rng.random() < 0.5 else piece
            left = rng.randrange(-80, 1280 - piece.width // 2)  # past the right edge at times
            canvas.paste(piece, (left, rng.randrange(200)))
        pictures.append(canvas)
    return pictures
