"""fit(): the one training loop every method and notebook uses.

What it takes care of so that methods stay short: moving data to the device once, index
batches, bf16 autocast on CUDA, channels_last weights (faster convolutions on CPUs and GPUs;
``python -m mmcl_lite bench step`` measures it), a cosine learning-rate schedule with warmup,
a tqdm progress bar with the live loss, per-epoch monitors (kNN accuracy, collapse statistics),
embedding snapshots for the explorer, and checkpoints.

Nothing is lost or left half-done. After every completed step the run's whole state is copied
(``state.RunState``). A non-finite value anywhere (the forward pass, the loss, the gradients,
the weights or buffers after the update) stops training with the state of the last good step
put back, status "nan" and a message; Ctrl-C at any point (a step, a hook, the monitor, a
save) does the same with status "interrupted". Either way the History returned agrees with
the model, and the checkpoint (if asked for) holds both. ``fit(..., resume=path)`` continues
such a checkpoint exactly where it stopped: on a CPU, bit for bit as if never interrupted.
"""
from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
import warnings

import torch

from .. import evaluation as evaluate
from ..checks import NonFinite, check_int, check_number, fail, said
from ..runtime import as_device, autocast, fast_mode
from .checkpoint import read_checkpoint, save_checkpoint
from .defaults import DEFAULTS
from .history import History
from .state import RunState, all_finite


def _cosine_lr(step: int, total: int, warmup: int) -> float:
    """Multiplier: linear warmup to 1, then cosine decay to 0."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _progress(total: int, initial: int, enabled: bool, desc: str):
    """A notebook progress widget (tqdm.auto), or a text bar in FAST mode: the test runs of the
    notebooks then open no widget per training run (nbclient can stall on widget traffic)."""
    if fast_mode():
        from tqdm.std import tqdm
    else:
        from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, disable=not enabled, desc=desc, leave=True,
                dynamic_ncols=True, mininterval=0.5)


def _monitor(method, knn_monitor, snapshot_data, dev) -> tuple[dict, object]:
    """Per-epoch health: kNN accuracy, embedding std and effective rank (collapse shows as both
    falling towards 0 / 1), and an embedding snapshot for the explorer (or None)."""
    record = {}
    if knn_monitor is not None:
        bank, query = knn_monitor
        zb = evaluate.embed(method, bank, device=dev)
        zq = evaluate.embed(method, query, device=dev)
        record["knn"] = evaluate.knn_accuracy(zb, bank.labels, zq, query.labels)
        record["emb_std"] = evaluate.embedding_std(zq)
        record["eff_rank"] = evaluate.effective_rank(zq)
    snapshot = None if snapshot_data is None else evaluate.embed(method, snapshot_data, device=dev)
    return record, snapshot


def epochs_for_steps(n_items: int, batch_size: int, steps: int) -> int:
    """Epochs that hold ``steps`` optimiser steps (pass ``max_steps=steps`` to ``fit`` too):
    ``fit`` drops a last partial batch, so an epoch is n_items // batch_size steps."""
    check_int(n_items, "n_items", minimum=1)
    check_int(batch_size, "batch_size", minimum=1, maximum=n_items)
    check_int(steps, "steps", minimum=1)
    return -(-steps // (n_items // batch_size))


class StopTraining(Exception):
    """A step went non-finite: fit stops with the last good state."""


def fit(method, data, *, epochs: int = DEFAULTS["epochs"],
        batch_size: int = DEFAULTS["batch_size"], lr: float = DEFAULTS["lr"],
        weight_decay: float = DEFAULTS["weight_decay"],
        warmup_epochs: float = DEFAULTS["warmup_epochs"], device=None, seed: int = 0,
        knn_monitor=None, snapshot_data=None, checkpoint=None, max_steps: int | None = None,
        progress: bool = True, history: History | None = None, resume=None) -> History:
    """Train ``method`` on ``data`` (a dataset of any modality) and return its History.

    Defaults come from ``training.defaults.DEFAULTS``.
    seed:          the data order and the views' random parameters (with a method built with
                   ``seed=`` or after ``seed_everything``, a CPU run repeats exactly)
    knn_monitor:   (bank, query) datasets with labels: kNN accuracy and collapse statistics
                   are measured after every epoch (and once before training, as epoch 0).
    snapshot_data: a dataset whose embeddings are stored after every epoch (for the explorer).
    checkpoint:    a path; the method, its run state and the history are saved there after
                   every epoch and when training stops.
    max_steps:     stop after this many optimiser steps (handy for quick checks).
    resume:        a checkpoint written by fit with the same method, settings and data size:
                   training continues from its last completed step.
    """
    settings = _check_arguments(method, data, epochs, batch_size, lr, weight_decay,
                                warmup_epochs, seed, max_steps)
    if history is not None and not isinstance(history, History):
        fail("history", "a History to record into", history, TypeError)
    if history is not None and (history.steps or history.epochs):
        fail("history", "an empty History (to continue a run, use resume=)",
             said("one with records"))
    blob = _resume_blob(resume, method, settings, len(data)) if resume is not None else None
    dev = as_device(device)
    method.to(dev)
    if dev.type in ("cuda", "cpu"):  # only 4-D (convolution) weights change layout
        method.to(memory_format=torch.channels_last)
    fields = {k: v.to(dev) for k, v in method.batch_fields(data).items()}
    per_epoch = len(data) // batch_size
    total = per_epoch * epochs if max_steps is None else min(max_steps, per_epoch * epochs)
    optimizer = method.configure_optimizer(lr, weight_decay)
    warmup = int(warmup_epochs * per_epoch)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: _cosine_lr(s, total, warmup))
    order_gen = torch.Generator().manual_seed(seed)
    method.seed_views(seed + 1, dev)
    rng = torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else [])
    with rng:  # the caller's global random state is left as it was
        torch.manual_seed(seed + 2)
        run = RunState(method, optimizer, scheduler, order_gen)
        if blob is not None:
            method.load_state_dict(blob["state_dict"])
            run.load_checkpoint_state(blob["run"])
            history = History.from_dict(blob["history"])
            history.status, history.message = "running", ""
        else:
            history = history or History(method=type(method).__name__)
        method.on_fit_start(run.step, total)
        _train(method, data, fields, run, history, dev, settings, total, per_epoch,
               knn_monitor, snapshot_data, checkpoint, progress)
    return history


def _check_arguments(method, data, epochs, batch_size, lr, weight_decay, warmup_epochs, seed,
                     max_steps) -> dict:
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
    return dict(epochs=int(epochs), batch_size=int(batch_size), lr=float(lr),
                weight_decay=float(weight_decay), warmup_epochs=float(warmup_epochs),
                seed=int(seed), max_steps=None if max_steps is None else int(max_steps),
                items=len(data))


def _resume_blob(path, method, settings: dict, n_items: int) -> dict:
    """The checkpoint to resume, refused unless it is of this method, config and run."""
    blob = read_checkpoint(path, name="resume")
    if blob["class"] != type(method).__name__ or blob["config"] != method.config:
        fail("resume", f"a checkpoint of this {type(method).__name__} and its config",
             said(f"one of a {blob['class']}" + ("" if blob["class"] != type(method).__name__
                                                  else " with another config")))
    if not blob.get("run") or not blob.get("history"):
        fail("resume", "a checkpoint written by fit (with its run state)",
             said("a checkpoint without one (save_checkpoint)"))
    saved = blob["run"]["settings"]
    for key, value in settings.items():
        if saved.get(key) != value:
            fail("resume", f"the settings of the saved run ({key}={saved.get(key)!r})",
                 said(f"{key}={value!r}"))
    return blob


def _train(method, data, fields, run, history, dev, settings, total, per_epoch,
           knn_monitor, snapshot_data, checkpoint, progress) -> None:
    """The loop proper; returns with history.status set and the model in its last good state."""
    epochs = settings["epochs"]
    started = time.perf_counter()
    bar = _progress(total, run.step, progress, type(method).__name__)
    try:
        if snapshot_data is not None:
            history.snapshot_index = torch.arange(len(snapshot_data))
        if not history.epochs:
            _end_of_epoch(method, run, history, 0, knn_monitor, snapshot_data, dev, None, 0.0)
        if run.step_in_epoch == 0 and history.epochs[-1]["epoch"] < run.epoch:
            # stopped after an epoch's last step but before its record: measure it now
            _end_of_epoch(method, run, history, run.epoch, knn_monitor, snapshot_data, dev,
                          None, float("nan"))
        while run.step < total:
            epoch = run.epoch + 1 if run.step_in_epoch == 0 else run.epoch
            if run.step_in_epoch == 0:
                run.epoch_order = run.order_gen.get_state()
            else:  # resuming inside an epoch: draw its order again from its start
                run.order_gen.set_state(run.epoch_order)
            order = torch.randperm(len(data), generator=run.order_gen).to(dev)
            method.train()
            method.on_epoch_start(epoch, epochs)
            t0 = time.perf_counter()
            while run.step_in_epoch < per_epoch and run.step < total:
                start = run.step_in_epoch * settings["batch_size"]
                idx = order[start:start + settings["batch_size"]]
                out = _step(method, run, {k: v[idx] for k, v in fields.items()}, dev, total)
                with _deferred_interrupt():  # the commit of a step is never half done
                    run.save()  # the state after this completed step
                    run.step += 1
                    run.step_in_epoch += 1
                    run.epoch = epoch
                    history.steps.append({"step": run.step, "epoch": epoch, **out})
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{out['loss']:.3f}")
            if run.step_in_epoch == per_epoch:
                run.step_in_epoch = 0
            _end_of_epoch(method, run, history, epoch, knn_monitor, snapshot_data, dev, bar,
                          time.perf_counter() - t0)
            _save(method, checkpoint, history, run, settings)
        history.status = "completed"
    except StopTraining as stop:
        run.restore()
        history.status, history.message = "nan", str(stop)
        warnings.warn(history.message, RuntimeWarning, stacklevel=3)
    except KeyboardInterrupt:
        run.restore()
        history.status = "interrupted"
        history.message = (f"interrupted after step {run.step}; the model, its optimiser and "
                           "this history are as they were after that step")
        print(history.message)
    finally:
        bar.close()
        _trim(history, run)
        history.seconds += time.perf_counter() - started
        method.eval()
        # back to the default layout: the trained model then computes exactly like one
        # rebuilt from its checkpoint (channels_last convolutions round differently)
        method.to(memory_format=torch.contiguous_format)
        if history.status != "running":
            with _no_interrupt_loss():
                _save(method, checkpoint, history, run, settings)


def train_step(method, optimizer, batch: dict, dev, where: str = "") -> dict:
    """One optimiser step: forward (bf16 autocast on CUDA), backward, update. Returns the
    step's scalars with the lr it used; raises ``StopTraining`` on a non-finite loss or
    gradient before anything is updated."""
    with autocast(dev):
        out = method.training_step(batch)
    loss = out["loss"]
    if not bool(torch.isfinite(loss.detach())):
        raise StopTraining(f"the loss became non-finite {where}; stopped with the weights and "
                           "buffers of the last good step. Try a lower lr or a higher "
                           "temperature.")
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if not all_finite(p.grad for p in method.parameters() if p.grad is not None):
        raise StopTraining(f"non-finite gradients {where}; stopped with the weights and "
                           "buffers of the last good step. Try a lower lr.")
    lr = optimizer.param_groups[0]["lr"]  # the lr this step used
    optimizer.step()
    return {"lr": lr, **{k: float(v.detach()) if torch.is_tensor(v) else float(v)
                         for k, v in out.items()}}


def _step(method, run, batch: dict, dev, total: int) -> dict:
    """A training step inside fit, with the method's end-of-step hook; raises StopTraining on
    a non-finite value anywhere (the caller puts the last good state back)."""
    where = f"at step {run.step + 1}"
    try:
        out = train_step(method, run.optimizer, batch, dev, where)
    except NonFinite as err:
        if run.step == 0:
            run.restore()  # BatchNorm statistics may have moved in the failed forward pass
            raise  # before any update: the input itself is bad
        raise StopTraining(f"a non-finite value in the forward pass {where} ({err}); stopped "
                           "with the weights and buffers of the last good step. Try a lower "
                           "lr.") from None
    run.scheduler.step()
    method.on_step_end(run.step, total)
    if not run.finite():
        raise StopTraining(f"the weights or buffers became non-finite {where}; stopped with "
                           "those of the last good step. Try a lower lr.")
    return out


def _end_of_epoch(method, run, history, epoch, knn_monitor, snapshot_data, dev, bar,
                  seconds) -> None:
    try:
        record, snapshot = _monitor(method, knn_monitor, snapshot_data, dev)
    except NonFinite as err:  # finite weights can still give inf embeddings when they are huge
        raise StopTraining(f"non-finite embeddings after epoch {epoch} ({err}); stopped with "
                           "the weights of the last good step. Try a lower lr.") from None
    if epoch > 0:
        losses = [s["loss"] for s in history.steps if s["epoch"] == epoch]
        record = {"epoch": epoch, "loss": sum(losses) / max(1, len(losses)),
                  "seconds": seconds, **record}
    else:
        record = {"epoch": 0, **record}
    with _deferred_interrupt():  # the record and its snapshot go in together
        if snapshot is not None:
            history.snapshots.append((epoch, snapshot))
        history.epochs.append(record)
    if bar is not None and "knn" in record:
        bar.set_postfix(epoch=epoch, loss=f"{record['loss']:.3f}", knn=f"{record['knn']:.3f}")


def _trim(history, run) -> None:
    """History holds exactly the completed steps, and snapshots only of recorded epochs."""
    del history.steps[run.step:]
    history.epochs[:] = [e for e in history.epochs if e["epoch"] <= run.epoch]
    recorded = {e["epoch"] for e in history.epochs}
    history.snapshots[:] = [(e, z) for e, z in history.snapshots if e in recorded]


def _save(method, checkpoint, history, run, settings) -> None:
    """Write the checkpoint of the last completed step; a failed write is reported in the
    History and as a warning, and training goes on (the run is not lost for a full disk)."""
    if checkpoint is None:
        return
    try:
        save_checkpoint(method, checkpoint, history, run=run.to_checkpoint(settings),
                        state_dict=run.weights())
    except OSError as err:
        note = f"checkpoint {checkpoint} could not be written: {err}"
        history.message = (history.message + "; " if history.message else "") + note
        warnings.warn(note, RuntimeWarning, stacklevel=3)


@contextlib.contextmanager
def _deferred_interrupt():
    """Hold Ctrl-C (SIGINT) back for a few lines that must run together; it is raised as
    KeyboardInterrupt right after them. Only the main thread receives signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


@contextlib.contextmanager
def _no_interrupt_loss():
    """A second Ctrl-C during the final save leaves the previous checkpoint (atomic write)."""
    try:
        yield
    except KeyboardInterrupt:
        pass
