"""Loading Ultralytics YOLO weights with a clear message for each way it can go wrong."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

ZIP_START = b"PK\x03\x04"  # how every torch.save since PyTorch 1.6 begins
PICKLE_START = b"\x80"  # the protocol mark of the older format


class WeightsError(Exception):
    """Weights that cannot be used; the message names the file and the problem."""


def load_yolo(weights: str | Path, task: str, what: str) -> Any:
    """A YOLO model of `task` ("detect" or "classify") from `weights`.

    A bare file name that is not on disk (the default `yolov8n.pt`) is left to Ultralytics,
    which downloads its own released weights by that name.
    """
    name = str(weights)
    path = Path(name)
    # exists, not is_file: an OpenVINO export is a folder
    if (path.parent != Path(".") or not _downloadable(name)) and not path.exists():
        raise WeightsError(f"{what} weights not found: {path}")
    from ultralytics import YOLO  # heavy import, only when a model is really needed

    _check_format(name, what)
    exported_for = _onnx_task(path, what)
    if exported_for not in (None, task):  # Ultralytics would take the task given and fail later
        raise WeightsError(f"{what} weights {name} are a {exported_for} model, not a {task} model")
    try:
        model = YOLO(name, task=task if path.suffix != ".pt" else None)
    except Exception as exc:  # Ultralytics raises many kinds; all mean "unusable"
        reason = not_a_checkpoint(path) or error_reason(exc)
        hint = ""
        if not path.exists():  # a download that failed: offline, or a name Ultralytics lacks
            hint = f"; without a network, name a weights file on disk with --{what} FILE"
        raise WeightsError(f"{what} weights {name} cannot be loaded: {reason}{hint}") from exc
    if model.task != task:
        raise WeightsError(f"{what} weights {name} are a {model.task} model, not a {task} model")
    return model


def first_run(weights: str | Path, what: str, predict: Callable[[], T]) -> T:
    """`predict()`, a first prediction made before any work, with the runtime's loading lines off
    the console. Ultralytics opens an export's runtime only at its first prediction: weights that
    load but cannot run (a broken export) are named here, not in the middle of a run."""
    try:
        with logged_at("ultralytics", logging.WARNING):
            return predict()
    except Exception as exc:  # the runtimes raise many kinds; all mean "unusable"
        raise WeightsError(f"{what} weights {weights} cannot be run: {error_reason(exc)}") from exc


@contextlib.contextmanager
def logged_at(name: str | None, level: int) -> Iterator[None]:
    """The logger `name` (None: the root logger) at `level` inside, as it was after."""
    logger = logging.getLogger(name)
    before = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(before)


def error_reason(exc: Exception) -> str:
    """An Ultralytics error's first line, without its "ERROR ❌" prefix: the lines after it are
    advice for its own command line."""
    text = str(exc).strip()
    for prefix in ("ERROR", "❌️", "❌"):
        text = text.removeprefix(prefix).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def not_a_checkpoint(path: Path) -> str | None:
    """Why a `.pt` file on disk cannot be a PyTorch checkpoint, or None if it may be one. PyTorch
    saves a zip archive (older versions a pickle, whose first byte is 0x80); text or anything else
    reaches the unpickler, whose own complaint ("invalid literal for int()") names no cause."""
    if path.suffix != ".pt" or not path.is_file():
        return None
    with path.open("rb") as file:
        start = file.read(4)
    if start == ZIP_START or start[:1] == PICKLE_START:
        return None
    if not start:
        return "the file is empty"
    return "not a PyTorch checkpoint (neither a zip archive nor a pickle): a wrong or damaged file"


def _onnx_task(path: Path, what: str) -> str | None:
    """The task an Ultralytics ONNX export records in its metadata (None: another format, or an
    export that records none); a file that is no ONNX model is named now, not at the first
    prediction."""
    if path.suffix != ".onnx" or not path.is_file():
        return None
    import onnx

    try:
        exported = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf's and onnx's own errors: not an ONNX model
        raise WeightsError(
            f"{what} weights {path} cannot be loaded: not an ONNX model ({error_reason(exc)})"
        ) from exc
    task = {prop.key: prop.value for prop in exported.metadata_props}.get("task")
    return task or None


def _check_format(name: str, what: str) -> None:
    """Ultralytics opens an export only at its first prediction: a file of no YOLO format (a
    typo, a README) would fail in the middle of a run, so its name is checked now."""
    from ultralytics.engine.exporter import export_formats

    endings = tuple(export_formats()["Suffix"])
    if not name.rstrip("/").endswith(endings):
        raise WeightsError(
            f"{what} weights {name} are no YOLO weights: expected a .pt file or an export "
            "(.onnx, .torchscript, an _openvino_model folder, ...)"
        )


def use_threads(threads: int) -> None:
    """PyTorch's CPU threads for inference; 0: one per core.

    Called before every inference: Ultralytics sets one thread fewer than the cores when it sets
    up a predictor, which on a 2-core machine leaves one core idle while the model works.
    """
    import torch

    wanted = threads if threads > 0 else os.cpu_count() or 1
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)


def _downloadable(name: str) -> bool:
    """Names Ultralytics knows how to download (its released weights)."""
    return name.startswith(("yolov8", "yolo11", "yolo12", "yolo26")) and name.endswith(".pt")
