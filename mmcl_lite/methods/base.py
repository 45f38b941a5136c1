"""The protocol every method follows, so that ``fit`` and ``evaluate`` take any of them.

A method is an ``nn.Module`` that owns its networks and views and implements
``training_step(batch) -> {"loss": tensor, ...}`` and ``encode(images) -> features``.
``batch`` is a dict of tensors already on the training device (``images`` uint8 (B,C,H,W),
``labels``, ``index``; multimodal methods add their own fields through ``batch_fields``).
"""
from __future__ import annotations

import dataclasses
import inspect

import torch
import torch.nn as nn

METHODS: dict[str, type] = {}


def capture_config(frame_locals: dict) -> dict:
    """The constructor's arguments as plain data (what a checkpoint needs to rebuild it)."""
    config = {}
    for key, value in frame_locals.items():
        if key in ("self", "__class__") or key.startswith("_"):
            continue
        if dataclasses.is_dataclass(value):
            value = dataclasses.asdict(value)
        config[key] = value
    return config


class Method(nn.Module):
    """Base class; subclasses call ``super().__init__(capture_config(locals()))`` first."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        METHODS[cls.__name__] = cls

    def __init__(self, config: dict):
        super().__init__()
        self.config = config
        # views draw their random parameters from this generator: fit() reseeds it
        self.seed_views(0)

    def seed_views(self, seed: int, device="cpu") -> None:
        """A fresh view generator on ``device``, seeded with ``seed``.

        On the training device the views' parameters are drawn where they are used: no
        host-to-GPU copy (and CPU stall) per step. A seed reproduces a run on the same kind of
        device (CPU and CUDA random streams differ)."""
        self.generator = torch.Generator(device=device).manual_seed(seed)

    # --- the protocol -------------------------------------------------------------------
    def training_step(self, batch: dict) -> dict:
        raise NotImplementedError

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Backbone features (B, feature_dim): the representation that evaluation probes."""
        return self.encoder(images)

    @property
    def feature_dim(self) -> int:
        return self.encoder.feature_dim

    # --- hooks that fit() calls; the defaults do nothing -----------------------------------
    def batch_fields(self, data) -> dict:
        """Tensors (N, ...) to index per batch; fit() moves them to the training device."""
        return {"images": data.images, "labels": data.labels,
                "index": torch.arange(len(data))}

    def on_epoch_start(self, epoch: int, epochs: int) -> None:
        pass

    def on_step_end(self, step: int, total_steps: int) -> None:
        pass

    def lr_multipliers(self) -> dict[str, float]:
        """{parameter-name prefix: factor} for the parts that learn at ``factor * lr``
        (default: none)."""
        return {}

    def configure_optimizer(self, lr: float, weight_decay: float) -> torch.optim.Optimizer:
        """AdamW without weight decay on biases and norm parameters (the usual practice), and
        each parameter's lr scaled by :meth:`lr_multipliers` (its first matching prefix)."""
        groups: dict[tuple[bool, float], list] = {}
        scales = self.lr_multipliers()
        for name, p in self.named_parameters():
            if not p.requires_grad:
                continue
            scale = next((f for prefix, f in scales.items() if name.startswith(prefix)), 1.0)
            groups.setdefault((p.ndim > 1, scale), []).append(p)
        return torch.optim.AdamW(
            [{"params": ps, "weight_decay": weight_decay if decay else 0.0, "lr": lr * scale}
             for (decay, scale), ps in groups.items()], lr=lr)

    # --- rebuilding -----------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: dict) -> "Method":
        """A freshly initialised method of the same class and settings."""
        return cls(**config)

    def fresh_copy(self, seed: int = 0) -> "Method":
        """Same architecture and settings, new random weights: the random-encoder baseline."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return type(self).from_config(self.config)

    def extra_repr(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items()
                         if not isinstance(v, dict))
        return args


def check_init_args(cls) -> list[str]:
    """Names of a method's constructor arguments (used by the CLI's --set option)."""
    return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
