"""The protocol every method follows, so that ``fit`` and ``evaluate`` take any of them.

A method is an ``nn.Module`` that owns its networks and views and implements
``training_step(batch) -> {"loss": tensor, ...}`` and ``encode(inputs) -> features``.
``batch`` is a dict of tensors already on the training device, one row per item: what
``batch_fields(data)`` returned (by default every per-item tensor of the dataset,
``data.fields()``: ``images`` or ``series``, ``labels``, ``index``, ...), indexed by a batch.
A method reads its inputs with ``self.inputs(batch)``, the field of its encoder's modality.

Settings. Each method declares its settings once, at the top of its file, as ``SETTINGS``: a
dict of name -> default, one comment per entry. The constructor takes exactly those names as
keyword arguments (an unknown name is a TypeError listing the known ones); ``self.config``
holds the resolved values as plain data, which is what checkpoints store and
``from_config`` rebuilds. Shared names mean the same thing in every method: ``encoder``,
``in_channels``, ``proj_dim``, ``proj_hidden``, ``temperature``, ``views``, ``image_size``,
and, for momentum networks, ``ema`` (the EMA coefficient) with ``ema_schedule``.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import numbers
from typing import ClassVar

import torch
import torch.nn as nn

from ..augment import SeriesViews, views_from_config
from ..checks import check_choice, check_int, check_number, check_positive, fail, said
from ..models import ENCODERS, build_encoder

METHODS: dict[str, type] = {}

# Settings most methods share, with the same meaning everywhere.
COMMON = dict(
    encoder="convnet",   # backbone name (models.ENCODERS): convnet, resnet18, dilated_conv
    in_channels=3,       # channels of the inputs (image or series channels), any number >= 1
    views=None,          # the method's default views when None; an ImageViews or its dict
    image_size=None,     # side of the views; None keeps the input size
    seed=None,           # an int makes the initial weights repeat exactly (None: global RNG)
)


def plain(value):
    """Views and other dataclasses as dicts, so that a config is plain data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def _plain_value(value, name: str):
    """A setting as plain data (what a checkpoint can hold and a weights-only load accepts):
    numpy or torch scalars become Python numbers; objects must be views dataclasses or
    plain containers."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.requires_grad:
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(_plain_value(v, name) for v in value)
    if isinstance(value, dict):
        return {k: _plain_value(v, f"{name}[{k!r}]") for k, v in value.items()}
    if dataclasses.is_dataclass(value) or name in ("tokenizer", "captions", "minilm_path"):
        return value  # views (stored as dicts by set_views); CLIP's text inputs
    fail(name, "plain data (a number, a string, a list or a dict)", value, TypeError)


def method_by_name(name: str) -> type:
    """A method class by name, case-insensitive: ``method_by_name("simclr") is SimCLR``."""
    return METHODS[check_choice(name, "method", METHODS, case_insensitive=True)]


def _seeded(init):
    """Run a constructor under its own seed when ``seed`` is set: the weights then repeat
    exactly, and the caller's global random state is left as it was."""
    @functools.wraps(init)
    def __init__(self, **settings):
        seed = settings.get("seed", type(self).SETTINGS.get("seed"))
        if seed is None or self.__dict__.get("_seeding"):
            return init(self, **settings)
        check_int(seed, "seed", minimum=0)
        object.__setattr__(self, "_seeding", True)  # a subclass's init runs inside this one
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                init(self, **settings)
        finally:
            object.__setattr__(self, "_seeding", False)
    return __init__


class Method(nn.Module):
    """Base class: resolves ``SETTINGS`` into ``self.config`` and seeds the view generator."""

    SETTINGS: ClassVar[dict] = {}

    def __init_subclass__(cls, register: bool = True, **kwargs):
        super().__init_subclass__(**kwargs)
        if register:  # register=False: a shared base of several methods, not a method
            METHODS[cls.__name__] = cls
        # help(SimCLR) and tab completion show the settings as keyword arguments
        cls.__signature__ = inspect.Signature(
            [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v)
             for k, v in cls.SETTINGS.items()])
        if "__init__" in cls.__dict__:
            cls.__init__ = _seeded(cls.__dict__["__init__"])

    def __init__(self, **settings):
        super().__init__()
        unknown = sorted(set(settings) - set(self.SETTINGS))
        if unknown:
            fail(type(self).__name__, f"settings among {list(self.SETTINGS)}",
                 said(f"unknown {unknown}"), TypeError)
        config = {k: _plain_value(v, k) for k, v in {**self.SETTINGS, **settings}.items()}
        for name in ("proj_dim", "proj_hidden", "pred_hidden"):
            if name in config:
                check_int(config[name], name, minimum=1)
        if "temperature" in config:
            check_positive(config["temperature"], "temperature")
        if "ema" in config:  # an EMA coefficient means the same in every method
            check_number(config["ema"], "ema", 0.0, 1.0)
        if config.get("image_size") is not None:
            check_int(config["image_size"], "image_size", minimum=1)
        self.config = config
        # views draw their random parameters from this generator: fit() reseeds it
        self.seed_views(0)

    def build_encoder(self) -> nn.Module:
        """The backbone named by ``config["encoder"]`` for ``config["in_channels"]`` inputs."""
        return build_encoder(self.config["encoder"], self.config["in_channels"])

    @property
    def input_modality(self) -> str:
        """The modality of the configured encoder, known before it is built."""
        name = check_choice(self.config["encoder"], "encoder", ENCODERS, case_insensitive=True)
        return ENCODERS[name].modality

    def set_views(self, views, image_default, key: str = "views"):
        """``views`` (when None: ``image_default()`` for images, ``SeriesViews()`` for series;
        a dict is rebuilt), recorded as plain data in ``config[key]``; returns the views
        object. ``key`` names the setting (a method with two kinds of views has two)."""
        if views is None:
            views = image_default() if self.input_modality == "images" else SeriesViews()
        elif isinstance(views, dict):
            views = views_from_config(views)
        elif not dataclasses.is_dataclass(views) or not callable(views):
            fail(key, "an ImageViews, MultiCropViews or SeriesViews (or its dict)", views,
                 TypeError)
        self.config[key] = plain(views)
        return views

    def seed_views(self, seed: int, device="cpu") -> None:
        """A fresh view generator on ``device``, seeded with ``seed``.

        On the training device the views' parameters are drawn where they are used: no
        host-to-GPU copy (and CPU stall) per step. A seed reproduces a run on the same kind of
        device (CPU and CUDA random streams differ)."""
        self.generator = torch.Generator(device=device).manual_seed(seed)

    # --- the protocol -------------------------------------------------------------------
    def training_step(self, batch: dict) -> dict:
        raise NotImplementedError

    @property
    def modality(self) -> str:
        """The batch field this method reads ("images", "series"): its encoder's modality."""
        return self.encoder.modality

    def inputs(self, batch: dict) -> torch.Tensor:
        """The batch's tensor of this method's modality, with a clear error when it is absent."""
        if self.modality not in batch:
            fail("batch", f"a {self.modality!r} field for this {type(self).__name__} "
                 f"(its encoder reads {self.modality})", said(f"keys {sorted(batch)}"))
        return batch[self.modality]

    def encode(self, inputs: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Backbone features (B, feature_dim): the representation that evaluation probes.
        ``lengths`` (B,), for padded series only: the encoder zeroes each item's padding."""
        return self.encoder(inputs) if lengths is None else self.encoder(inputs, lengths=lengths)

    @property
    def feature_dim(self) -> int:
        return self.encoder.feature_dim

    # --- hooks that fit() calls; the defaults do nothing -----------------------------------
    def batch_fields(self, data) -> dict:
        """Tensors (N, ...) to index per batch; fit() moves them to the training device.
        Default: every per-item tensor of the dataset (``data.fields()``)."""
        if not hasattr(data, "fields"):
            fail("data", "a dataset (ImageSet, SeriesSet, ...)", data, TypeError)
        fields = data.fields()
        if self.modality not in fields:
            fail("data", f"{self.modality} for this {type(self).__name__}",
                 said(f"a {type(data).__name__} of {data.modality}"))
        channels = fields[self.modality].shape[1]
        if channels != self.encoder.in_channels:
            fail("data", f"{self.encoder.in_channels}-channel {self.modality} (in_channels)",
                 said(f"{channels} channels; build the method with in_channels={channels}"))
        return fields

    def on_fit_start(self, step: int, total_steps: int) -> None:
        """Called by fit before the first step it runs (``step`` > 0 when resuming): set any
        Python-side state that follows from the step (e.g. BYOL's current tau)."""

    def on_epoch_start(self, epoch: int, epochs: int) -> None:
        pass

    def on_step_end(self, step: int, total_steps: int) -> None:
        pass

    def lr_multipliers(self) -> dict[str, float]:
        """{parameter-name prefix: factor} for the parts that learn at ``factor * lr``: the
        predictor at ``predictor_lr_scale`` in a method with that setting (BYOL, SimSiam: a
        predictor that keeps up with the projector, Tian, Chen, Ganguli, ICML 2021), else none."""
        scale = self.config.get("predictor_lr_scale")
        return {} if scale is None else {"predictor.": scale}

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

    # --- building and rebuilding ----------------------------------------------------------
    @classmethod
    def for_data(cls, data, **settings) -> "Method":
        """The method sized for ``data``: its channel count, and whatever else a setting takes
        from the data (a vocabulary's training ``captions``, a classifier's ``n_classes``),
        unless given in ``settings``."""
        known = {"in_channels": data.channels}
        if "captions" in cls.SETTINGS:
            known["captions"] = data.captions
        if "n_classes" in cls.SETTINGS:
            known["n_classes"] = len(data.class_names)
        return cls(**{**known, **settings})

    @classmethod
    def from_config(cls, config: dict) -> "Method":
        """A freshly initialised method of the same class and settings."""
        return cls(**config)

    def fresh_copy(self, seed: int = 0) -> "Method":
        """Same architecture and settings, new random weights: the random-encoder baseline."""
        config = dict(self.config, seed=seed) if "seed" in self.config else self.config
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return type(self).from_config(config)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.config.items()
                         if not isinstance(v, dict))
