"""The state of a run after its last completed step, kept so that nothing is ever half-done.

``fit`` copies everything a step changes (weights, buffers such as BatchNorm statistics, EMA
targets, queues and prototypes, the optimiser's moments, the scheduler and the learning rates
it set, the random generators) into a :class:`RunState` after every completed step, in place
(no allocation once warm). When a step goes wrong (a non-finite value anywhere, Ctrl-C at any
point), ``restore`` puts all of it back, so the model, its optimiser and its History always
agree. The same record, written into a checkpoint, is what ``fit(..., resume=path)`` continues
from, bit for bit on a CPU.
"""
from __future__ import annotations

import torch


def _state_tensors(module) -> dict:
    """Every parameter and buffer by name (what a step can change), live tensors."""
    out = dict(module.named_parameters())
    out.update(module.named_buffers())
    return out


def all_finite(tensors) -> bool:
    """One reduction (one device sync) over many tensors."""
    flags = [torch.isfinite(t).all() for t in tensors if t.is_floating_point()]
    return bool(torch.stack(flags).all()) if flags else True


class RunState:
    """Copies of a run's state after a completed step; ``save`` refreshes them, ``restore``
    writes them back. ``step``, ``epoch`` and ``step_in_epoch`` count completed steps."""

    def __init__(self, method, optimizer, scheduler, order_gen: torch.Generator):
        self.method, self.optimizer, self.scheduler = method, optimizer, scheduler
        self.order_gen = order_gen
        self.live = _state_tensors(method)
        self.copies = {k: v.detach().clone() for k, v in self.live.items()}
        # the optimiser's per-parameter state (AdamW's moments and step count), keyed by the
        # parameter: a parameter gets its state only at its first update with a gradient
        self.opt_copies: dict = {}
        self.step = self.epoch = self.step_in_epoch = 0
        self.epoch_order = order_gen.get_state()   # the generator before this epoch's shuffle
        self.save()

    @torch.no_grad()
    def save(self) -> None:
        torch._foreach_copy_(list(self.copies.values()),
                             [v.detach() for v in self.live.values()])
        for p, state in self.optimizer.state.items():
            saved = self.opt_copies.setdefault(p, {})
            for k, v in state.items():
                if not torch.is_tensor(v):
                    saved[k] = v
                elif k in saved and saved[k].shape == v.shape:
                    saved[k].copy_(v)
                else:
                    saved[k] = v.detach().clone()
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
        for p in list(self.optimizer.state):
            if p not in self.opt_copies:   # state born in the step being undone
                del self.optimizer.state[p]
        for p, saved in self.opt_copies.items():
            state = self.optimizer.state[p]
            for k, v in saved.items():
                if torch.is_tensor(v) and torch.is_tensor(state.get(k)):
                    state[k].copy_(v)
                else:
                    state[k] = v.clone() if torch.is_tensor(v) else v
        self.scheduler.load_state_dict(self.scheduler_state)
        for group, lr in zip(self.optimizer.param_groups, self.lrs):
            group["lr"] = lr
        self.method.generator.set_state(self.views)
        torch.set_rng_state(self.torch_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(self.cuda_rng)

    def finite(self) -> bool:
        """Are every weight and buffer of the live model finite?"""
        return all_finite(v.detach() for v in self.live.values())

    # ---------------------------------------------------------------- in a checkpoint
    def to_checkpoint(self, settings: dict) -> dict:
        """Plain data (tensors, numbers, dicts): what resuming needs besides the weights,
        taken from the saved copies (the state after the last completed step)."""
        optimizer = self.optimizer.state_dict()
        params = [p for group in self.optimizer.param_groups for p in group["params"]]
        optimizer["state"] = {i: {k: v.clone() if torch.is_tensor(v) else v
                                  for k, v in self.opt_copies[p].items()}
                              for i, p in enumerate(params) if p in self.opt_copies}
        for group, lr in zip(optimizer["param_groups"], self.lrs):
            group["lr"] = lr
        return {"settings": dict(settings), "step": self.step, "epoch": self.epoch,
                "step_in_epoch": self.step_in_epoch, "epoch_order": self.epoch_order,
                "order_now": self.order_now, "views": self.views.cpu(),
                "torch_rng": self.torch_rng, "optimizer": optimizer,
                "scheduler": self.scheduler_state}

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
        self.opt_copies = {}
        self.save()
