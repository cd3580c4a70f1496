"""The card's section on loading an export with torchvision, Ultralytics and `datasets`."""

from __future__ import annotations

from collections.abc import Sequence

from filtering.exporting.options import TEST, TRAIN, VAL, ExportOptions

HF_SPLITS = {TRAIN: "train", VAL: "validation", TEST: "test"}


def loading_section(options: ExportOptions, splits: Sequence[str]) -> str:
    path = str(options.out)
    hf = ", ".join(f'"{HF_SPLITS[s]}": ["{s}/**", "metadata.jsonl"]' for s in splits)
    one_class = len(options.sets) == 1
    note = (
        "\nWith one set exported every image has the same class; export with "
        "`--sets clean,questionable` to train a classifier between them.\n"
        if one_class
        else ""
    )
    return f"""## Loading

torchvision (classes are the sets, from the folder names):

```python
from torchvision.datasets import ImageFolder
train = ImageFolder("{path}/{TRAIN}")
```

Ultralytics (a classification dataset: `train/` and `val/`, and `test/` where there is one):

```python
from ultralytics import YOLO
YOLO("yolov8n-cls.pt").train(data="{path}", imgsz=224)
```

Hugging Face `datasets` (the images with every metadata column). `metadata.jsonl` is named
because the folder also holds `metadata.csv` with the same rows, and imagefolder refuses a folder
with metadata in two formats:

```python
from datasets import load_dataset
ds = load_dataset("imagefolder", data_dir="{path}", data_files={{{hf}}})
```

In pandas: `pandas.read_csv("{path}/metadata.csv")`.
{note}"""
