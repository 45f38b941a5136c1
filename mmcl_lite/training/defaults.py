"""The one place for training hyperparameters: ``fit``, the CLI, the demo and the benchmarks
read them from here.

``DEFAULTS`` are ``fit``'s defaults (and the CLI's). ``DEMO`` and ``BENCH_METHODS`` are the
named budgets of ``make demo`` and ``python -m mmcl_lite bench methods``; each entry says why.
"""
from __future__ import annotations

DEFAULTS = dict(
    lr=2e-3,             # AdamW's base learning rate, cosine decay after the warmup
    weight_decay=1e-4,   # AdamW's decoupled decay (biases and norms excluded)
    batch_size=256,      # items per step
    epochs=10,           # passes over the data
    warmup_epochs=1.0,   # linear warmup of the learning rate
)

DEMO = dict(
    n_images=6000,       # shapes rendered (75% train / 25% test)
    epochs=12,           # ~420 optimiser steps at batch 128
    batch_size=128,      # SimCLR likes big batches; 128 keeps a CPU step short (`python -m
                         # mmcl_lite bench methods` prints the time per step before training)
    lr=DEFAULTS["lr"],
    temperature=0.1,     # NT-Xent temperature, as methods.SimCLR's default (notebook 02,
                         # section 4, shows what tau does to the loss)
)
DEMO_FAST = dict(DEMO, n_images=1200, epochs=1)

BENCH_METHODS = dict(
    batch_size=128,
    lr=DEFAULTS["lr"],
    # AdamW's decay is decoupled (each step shrinks weights by lr * wd), so 1e-4 is almost
    # none; 0.01 (AdamW's usual value) helped the non-contrastive methods on shapes and left
    # SimCLR and MoCo unchanged (notebook 07 shows the table at this budget).
    weight_decay=0.01,
    test_fraction=0.25,
    shapes=dict(n_images=6000, image_size=32, steps=1200),  # 6,000 rendered, 32 px
    digits=dict(steps=600),     # 1,348 training images of 16x16: ~60 epochs at batch 128
)
BENCH_METHODS_FAST = dict(BENCH_METHODS, shapes=dict(n_images=600, image_size=32, steps=3),
                          digits=dict(steps=3))
