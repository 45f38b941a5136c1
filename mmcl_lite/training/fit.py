"""fit(): the one training loop every method and notebook uses.

What it takes care of so that methods stay short: moving data to the device once, index
batches, bf16 autocast and channels_last on CUDA, a cosine learning-rate schedule with warmup,
a tqdm progress bar with the live loss, per-epoch monitors (kNN accuracy, collapse statistics),
embedding snapshots for the explorer, checkpoints, and stopping cleanly on Ctrl-C or on a
non-finite loss (the model keeps the weights of the last good step).
"""
from __future__ import annotations

import math
import time
import warnings

import torch

from .. import evaluation as evaluate
from ..checks import check_int, check_number, fail
from .checkpoint import save_checkpoint
from .defaults import DEFAULTS
from ..data import index_batches, num_batches
from .history import History
from ..runtime import as_device, autocast


def _cosine_lr(step: int, total: int, warmup: int) -> float:
    """Multiplier: linear warmup to 1, then cosine decay to 0."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _progress(total: int, enabled: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=desc, leave=True, dynamic_ncols=True)


def _monitor(method, knn_monitor, snapshot_data, history, epoch, dev) -> dict:
    """Per-epoch health: kNN accuracy, embedding std and effective rank (collapse shows as both
    falling towards 0 / 1), and an embedding snapshot for the explorer."""
    record = {}
    if knn_monitor is not None:
        bank, query = knn_monitor
        zb = evaluate.embed(method, bank, device=dev)
        zq = evaluate.embed(method, query, device=dev)
        record["knn"] = evaluate.knn_accuracy(zb, bank.labels, zq, query.labels)
        record["emb_std"] = evaluate.embedding_std(zq)
        record["eff_rank"] = evaluate.effective_rank(zq)
    if snapshot_data is not None:
        history.snapshots.append((epoch, evaluate.embed(method, snapshot_data, device=dev)))
    return record


def fit(method, data, *, epochs: int = DEFAULTS["epochs"],
        batch_size: int = DEFAULTS["batch_size"], lr: float = DEFAULTS["lr"],
        weight_decay: float = DEFAULTS["weight_decay"],
        warmup_epochs: float = DEFAULTS["warmup_epochs"], device=None, seed: int = 0,
        knn_monitor=None, snapshot_data=None, checkpoint=None, max_steps: int | None = None,
        progress: bool = True, history: History | None = None) -> History:
    """Train ``method`` on ``data`` (a dataset of any modality) and return its History.

    Defaults come from ``training.defaults.DEFAULTS``.
    knn_monitor:   (bank, query) datasets with labels: kNN accuracy and collapse statistics
                   are measured after every epoch (and once before training, as epoch 0).
    snapshot_data: a dataset whose embeddings are stored after every epoch (for the explorer).
    checkpoint:    a path; the method and history are saved there after every epoch and on stop.
    max_steps:     stop after this many optimiser steps (handy for quick checks).
    Ctrl-C stops training cleanly and returns the history so far; the model keeps its weights.
    """
    check_int(epochs, "epochs", minimum=1)
    check_int(batch_size, "batch_size", minimum=1)
    check_number(lr, "lr", low=0.0, low_open=True)
    check_number(weight_decay, "weight_decay", low=0.0)
    check_number(warmup_epochs, "warmup_epochs", low=0.0)
    check_int(seed, "seed", minimum=0)
    if max_steps is not None:
        check_int(max_steps, "max_steps", minimum=1)
    if not hasattr(method, "training_step"):
        fail("method", "a method (e.g. mmcl_lite.methods.SimCLR())", method, TypeError)
    if not hasattr(data, "fields"):
        fail("data", "a dataset (ImageSet, SeriesSet, ...)", data, TypeError)
    if batch_size > len(data):
        fail("batch_size", f"at most the {len(data)} items of data", batch_size)
    dev = as_device(device)
    method.to(dev)
    if dev.type == "cuda":
        method.to(memory_format=torch.channels_last)
    fields = {k: v.to(dev) for k, v in method.batch_fields(data).items()}
    per_epoch = num_batches(len(data), batch_size)  # raises a clear error if batch > data
    total = per_epoch * epochs if max_steps is None else min(max_steps, per_epoch * epochs)
    optimizer = method.configure_optimizer(lr, weight_decay)
    warmup = int(warmup_epochs * per_epoch)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: _cosine_lr(s, total, warmup))
    order_gen = torch.Generator().manual_seed(seed)
    method.seed_views(seed + 1, dev)
    history = history or History(method=type(method).__name__)
    if snapshot_data is not None:
        history.snapshot_index = torch.arange(len(snapshot_data))
    history.epochs.append({"epoch": 0, **_monitor(method, knn_monitor, snapshot_data,
                                                   history, 0, dev)})
    started, step = time.perf_counter(), 0
    bar = _progress(total, progress, type(method).__name__)
    try:
        for epoch in range(1, epochs + 1):
            method.train()
            method.on_epoch_start(epoch, epochs)
            t0, losses = time.perf_counter(), []
            for idx in index_batches(len(data), batch_size, generator=order_gen, device=dev):
                out = _train_step(method, optimizer, {k: v[idx] for k, v in fields.items()}, dev)
                if out is None:
                    history.status = "nan"
                    history.message = (f"loss became non-finite at step {step} (epoch {epoch}); "
                                       "stopped and kept the weights of the last good step. "
                                       "Try a lower lr or a higher temperature.")
                    warnings.warn(history.message, RuntimeWarning, stacklevel=2)
                    return history
                scheduler.step()
                method.on_step_end(step, total)
                step += 1
                losses.append(out["loss"])
                history.steps.append({"step": step, "epoch": epoch,
                                      "lr": optimizer.param_groups[0]["lr"], **out})
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{out['loss']:.3f}")
                if step >= total:
                    break
            record = {"epoch": epoch, "loss": sum(losses) / max(1, len(losses)),
                      "seconds": time.perf_counter() - t0}
            record.update(_monitor(method, knn_monitor, snapshot_data, history, epoch, dev))
            history.epochs.append(record)
            if "knn" in record:
                bar.set_postfix(epoch=epoch, loss=f"{record['loss']:.3f}",
                                knn=f"{record['knn']:.3f}")
            if checkpoint is not None:
                save_checkpoint(method, checkpoint, history)
            if step >= total:
                break
        history.status = "completed"
    except KeyboardInterrupt:
        history.status = "interrupted"
        history.message = (f"interrupted at step {step}; the model keeps what it learned so far")
        print(history.message)
    finally:
        bar.close()
        history.seconds += time.perf_counter() - started
        method.eval()
        if checkpoint is not None and history.status != "running":
            save_checkpoint(method, checkpoint, history)
    return history


def _train_step(method, optimizer, batch: dict, dev) -> dict | None:
    """One optimiser step; returns the step's scalars, or None if the loss is not finite."""
    with autocast(dev):
        out = method.training_step(batch)
    loss = out["loss"]
    if not torch.isfinite(loss.detach()).item():
        return None
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return {k: float(v.detach()) if torch.is_tensor(v) else float(v) for k, v in out.items()}
