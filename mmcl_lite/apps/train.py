"""``python -m mmcl_lite train``: one method on one dataset, evaluated and checkpointed."""
from __future__ import annotations

from .. import evaluation
from ..data import load_dataset
from ..methods import method_by_name
from ..runtime import fast_mode, seed_everything
from ..training import fit
from ..training.defaults import DEFAULTS


def run_train(method: str, data: str, encoder: str | None, epochs: int, batch_size: int | None,
              lr: float, out: str, download: bool = False, seed: int = 0,
              max_steps: int | None = None) -> dict:
    """Train, print the comparison with the baselines, save the checkpoint; return the rows.
    FAST mode renders 600 shapes instead of 6,000."""
    train, test = load_dataset(data, download=download, n=600 if fast_mode() else 6000)
    if batch_size is None:  # the default batch, or the whole set when it is smaller
        batch_size = min(DEFAULTS["batch_size"], len(train))
    seed_everything(seed)
    # no --encoder: the method's own default (a ConvNet for images, TS2Vec's for series)
    model = method_by_name(method).for_data(train, **({} if encoder is None else
                                                       {"encoder": encoder}))
    name = type(model).__name__
    history = fit(model, train, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                  max_steps=max_steps,
                  knn_monitor=(train.subset(slice(0, 5000)), test.subset(slice(0, 2000))),
                  checkpoint=out)
    print(f"checkpoint: {out}")  # fit wrote it, with its run state (resumable)
    if history.status == "interrupted":
        raise KeyboardInterrupt  # the command line exits with status 130
    if history.status == "nan":
        print(history.message)
    rows = evaluation.compare(model, train, test, name=name)
    print(evaluation.format_table(rows))
    return rows
