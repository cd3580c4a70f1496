"""The card's section on loading an export with torchvision, Ultralytics and `datasets`."""

from __future__ import annotations

from filtering.exporting.options import TRAIN, ExportOptions


def loading_section(options: ExportOptions) -> str:
    path = str(options.out)
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

Hugging Face `datasets` (splits `train`, `validation`, `test`, with every metadata column; the
set is the `set` column, each split folder's `metadata.jsonl` holds its rows):

```python
from datasets import load_dataset
ds = load_dataset("imagefolder", data_dir="{path}").class_encode_column("set")
```

In pandas: `pandas.read_csv("{path}/metadata.csv")`.
{note}"""
