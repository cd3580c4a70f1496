"""Training and evaluating the front-facing classifier: labelled folders in, weights and report out.

One module per concern: `labelled` reads a labelled folder, `split` makes the train/val layout,
`settings` holds the training options, `start` picks the starting weights, `trainer` runs
Ultralytics, `predict` and `metrics` evaluate, `report` writes the HTML and JSON.
"""
