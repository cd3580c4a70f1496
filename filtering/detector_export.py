"""The detector's runtime: on the CPU a `.pt` detector runs as an ONNX export of itself, in int8
by default (`--detector-runtime onnx-int8`; `onnx` for float, `pytorch` for the weights as given;
see README "Choosing the detector").

The export decides as PyTorch does: it is dynamic, so photos are padded as PyTorch pads them. It
is made once per weights file and input size with Ultralytics' own exporter, offline (no graph
simplifier, which it would try to install), and kept in `export_cache` under a name holding the
weights' content hash: new weights under the same name get a new export. The int8 copy is made
from it (filtering/quantize.py) and kept beside it. A GPU (`--device 0`) keeps PyTorch as given.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

from filtering.files import scratch_folder, write_atomic
from filtering.quantize import int8_export
from filtering.settings import INT8, ONNX_RUNTIMES, RUNTIMES, FilterSettings
from filtering.weights import WeightsError, load_yolo


def load_detector(settings: FilterSettings) -> Any:
    """The YOLO detector of `settings`, as the runtime it runs fastest in on its device."""
    if settings.detector_runtime not in RUNTIMES:
        raise WeightsError(
            f"unknown --detector-runtime {settings.detector_runtime!r}: use {', '.join(RUNTIMES)}"
        )
    if not runs_as_onnx(settings):
        return load_yolo(settings.detector, "detect", "detector")
    pt = _weights_file(settings.detector)
    export = onnx_export(pt, settings.detector_imgsz, settings.export_cache)
    if settings.detector_runtime == INT8:
        export = int8_export(export, settings.detector_imgsz)
    return load_yolo(export, "detect", "detector")


def runs_as_onnx(settings: FilterSettings) -> bool:
    """A `.pt` detector on the CPU with an ONNX runtime chosen."""
    on_cpu = settings.device.strip().lower() == "cpu"
    is_pt = Path(settings.detector).suffix == ".pt"
    return on_cpu and is_pt and settings.detector_runtime in ONNX_RUNTIMES


def without_spinning(model: Any) -> None:
    """Rebuild an ONNX Runtime session of `model` so that its threads sleep between runs.

    By default they spin for a while after each batch, waiting for more: on 2 cores that takes
    the cores from the decoding threads and from the classifier, which run between the batches
    (the whole run took 1.12 times as long with the int8 detector, README "Choosing the
    detector"). A PyTorch model has no session and is left as it is. Call after a first
    prediction: Ultralytics opens the session only then.
    """
    import onnxruntime

    backend = getattr(getattr(getattr(model, "predictor", None), "model", None), "backend", None)
    session = getattr(backend, "session", None)
    if not isinstance(session, onnxruntime.InferenceSession):
        return
    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    backend.session = onnxruntime.InferenceSession(  # type: ignore[union-attr]
        session._model_path, options, providers=session.get_providers()
    )


def onnx_export(pt: Path, imgsz: int, cache: Path) -> Path:
    """The ONNX export of `pt` at input size `imgsz` in `cache`, made if it is not there yet."""
    target = cache / export_name(pt, imgsz)
    if not target.is_file():
        load_yolo(pt, "detect", "detector")  # unusable weights are named as without the export
        write_atomic(target, lambda partial: _export(pt, imgsz, partial))
    return target


def export_name(pt: Path, imgsz: int) -> str:
    """`<stem>-<first 16 hex of the weights' SHA-256>-<size>.onnx`."""
    digest = hashlib.sha256(pt.read_bytes()).hexdigest()[:16]
    return f"{pt.stem}-{digest}-{imgsz}.onnx"


def _weights_file(name: str) -> Path:
    """The `.pt` file on disk; a released name not on disk is downloaded by Ultralytics first."""
    if Path(name).is_file():
        return Path(name)
    model = load_yolo(name, "detect", "detector")  # checks the name, downloads released weights
    return Path(model.ckpt_path)


def _export(pt: Path, imgsz: int, partial: Path) -> None:
    """Ultralytics writes an export beside its weights: it works on a copy in a folder of its own,
    so nothing is ever written next to the user's weights."""
    from ultralytics import YOLO
    from ultralytics.utils import LOGGER

    print(
        f"Exporting {pt.name} to ONNX at {imgsz} px for the CPU, once (kept in {partial.parent})",
        file=sys.stderr,
    )
    level = LOGGER.level
    LOGGER.setLevel(logging.WARNING)  # its export log is pages long; its warnings still show
    try:
        with warnings.catch_warnings():
            # PyTorch's tracer and exporter, as Ultralytics drives them, warn of their own
            # internals and deprecations: nothing the user can act on.
            warnings.simplefilter("ignore")
            _export_copy(YOLO, pt, imgsz, partial)
    finally:
        LOGGER.setLevel(level)


def _export_copy(yolo: Any, pt: Path, imgsz: int, partial: Path) -> None:
    with scratch_folder(partial) as folder:
        copy = Path(folder) / pt.name
        shutil.copyfile(pt, copy)
        try:
            made = yolo(str(copy)).export(
                format="onnx",
                imgsz=imgsz,
                simplify=False,
                dynamic=True,
                device="cpu",
                verbose=False,
            )
        except Exception as exc:  # Ultralytics raises many kinds; all mean "no export"
            raise WeightsError(
                f"detector weights {pt} cannot be exported to ONNX ({exc}); "
                "--detector-runtime pytorch runs them as they are"
            ) from exc
        shutil.move(made, partial)
