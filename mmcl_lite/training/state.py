"""The state of a run after its last completed step, kept so that nothing is ever half-done.

``fit`` copies everything a step changes (weights, buffers such as BatchNorm statistics, EMA
targets, queues and prototypes, the optimiser's moments, the scheduler, the random generators)
into a :class:`RunState` after every completed step, in place (no allocation once warm). When a
step goes wrong (a non-finite value anywhere, Ctrl-C at any point), ``restore`` puts all of it
back, so the model, its optimiser and its History always agree. The same record, written into
a checkpoint, is what ``fit(..., resume=path)`` continues from, bit for bit on a CPU.
"""
from __future__ import annotations

import torch


def _state_tensors(module) -> dict:
    """Every parameter and buffer by name (what a step can change), live tensors."""
    out = dict(module.named_parameters())
    out.update(module.named_buffers())
    return out


def _optimizer_tensors(optimizer) -> list:
    return [t for state in optimizer.state.values() for t in state.values() if torch.is_tensor(t)]


class RunState:
    """Copies of a run's state after a completed step; ``save`` refreshes them, ``restore``
    writes them back. ``step``, ``epoch`` and ``step_in_epoch`` count completed steps."""

    def __init__(self, method, optimizer, scheduler, order_gen: torch.Generator):
        self.method, self.optimizer, self.scheduler = method, optimizer, scheduler
        self.order_gen = order_gen
        self.live = _state_tensors(method)
        self.copies = {k: v.detach().clone() for k, v in self.live.items()}
        self.opt_keys, self.opt_copies = None, []
        self.step = self.epoch = self.step_in_epoch = 0
        self.epoch_order = order_gen.get_state()   # the generator before this epoch's shuffle
        self.save()

    @torch.no_grad()
    def save(self) -> None:
        torch._foreach_copy_(list(self.copies.values()),
                             [v.detach() for v in self.live.values()])
        keys = [(id(p), tuple(s)) for p, s in self.optimizer.state.items()]
        if keys != self.opt_keys:  # the optimiser created its state (first step): new copies
            self.opt_keys = keys
            self.opt_copies = [t.clone() for t in _optimizer_tensors(self.optimizer)]
        elif self.opt_copies:
            torch._foreach_copy_(self.opt_copies, _optimizer_tensors(self.optimizer))
        self.scheduler_state = self.scheduler.state_dict()
        self.lrs = [group["lr"] for group in self.optimizer.param_groups]  # set by the scheduler
        self.views = self.method.generator.get_state()
        self.order_now = self.order_gen.get_state()  # after this epoch's shuffle
        self.torch_rng = torch.get_rng_state()
        self.cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None

    @torch.no_grad()
    def restore(self) -> None:
        torch._foreach_copy_([v.detach() for v in self.live.values()],
                             list(self.copies.values()))
        for p in self.method.parameters():
            p.grad = None
        if not self.opt_copies:
            self.optimizer.state.clear()
        elif [(id(p), tuple(s)) for p, s in self.optimizer.state.items()] == self.opt_keys:
            torch._foreach_copy_(_optimizer_tensors(self.optimizer), self.opt_copies)
        self.scheduler.load_state_dict(self.scheduler_state)
        for group, lr in zip(self.optimizer.param_groups, self.lrs):
            group["lr"] = lr
        self.method.generator.set_state(self.views)
        torch.set_rng_state(self.torch_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(self.cuda_rng)

    def finite(self) -> bool:
        """Are every weight and buffer of the live model finite?"""
        floats = [v.detach() for v in self.live.values() if v.is_floating_point()]
        return all(bool(torch.isfinite(v).all()) for v in floats)

    # ---------------------------------------------------------------- in a checkpoint
    def to_checkpoint(self, settings: dict) -> dict:
        """Plain data (tensors, numbers, dicts): what resuming needs besides the weights,
        taken from the saved copies (the state after the last completed step)."""
        optimizer = self.optimizer.state_dict()
        if self.opt_copies:  # the copies, not the live tensors (a step may be half done)
            it = iter(self.opt_copies)
            optimizer["state"] = {i: {k: (next(it).clone() if torch.is_tensor(v) else v)
                                      for k, v in s.items()}
                                  for i, s in optimizer["state"].items()}
        else:
            optimizer["state"] = {}
        for group, lr in zip(optimizer["param_groups"], self.lrs):
            group["lr"] = lr
        return {"settings": dict(settings), "step": self.step, "epoch": self.epoch,
                "step_in_epoch": self.step_in_epoch, "epoch_order": self.epoch_order,
                "order_now": self.order_now,
                "views": self.views.cpu(), "torch_rng": self.torch_rng,
                "optimizer": optimizer, "scheduler": self.scheduler_state}

    def weights(self) -> dict:
        """The saved copies of the weights and buffers, by state_dict name."""
        names = self.method.state_dict().keys()
        return {k: self.copies[k].cpu().clone() for k in names if k in self.copies}

    def load_checkpoint_state(self, blob: dict) -> None:
        """Put a checkpoint's run state into the live objects and into the copies."""
        self.optimizer.load_state_dict(blob["optimizer"])
        self.scheduler.load_state_dict(blob["scheduler"])
        self.method.generator.set_state(blob["views"])
        torch.set_rng_state(blob["torch_rng"])
        self.order_gen.set_state(blob["order_now"])
        self.step, self.epoch = blob["step"], blob["epoch"]
        self.step_in_epoch, self.epoch_order = blob["step_in_epoch"], blob["epoch_order"]
        self.opt_keys = None
        self.save()
