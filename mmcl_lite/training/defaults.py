"""The one place for training hyperparameters: ``fit``, the CLI, the demo and the benchmarks
read them from here.

``DEFAULTS`` are ``fit``'s defaults (and the CLI's). ``DEMO`` and ``BENCH_METHODS`` are the
named budgets of ``make demo`` and ``python -m mmcl_lite bench methods``; each entry says why.
"""
from __future__ import annotations

from ..augment import ImageViews

DEFAULTS = dict(
    lr=2e-3,             # AdamW's base learning rate, cosine decay after the warmup
    weight_decay=1e-4,   # AdamW's decoupled decay (biases and norms excluded)
    batch_size=256,      # items per step
    epochs=10,           # passes over the data
    warmup_epochs=1.0,   # linear warmup of the learning rate
)

DEMO = dict(
    n_images=6000,       # shapes rendered (75% train / 25% test)
    epochs=43,           # 1,505 optimiser steps at batch 128
    batch_size=128,      # SimCLR likes big batches; 128 keeps a CPU step short (`python -m
                         # mmcl_lite bench methods` prints the time per step before training)
    lr=DEFAULTS["lr"],
    temperature=0.1,     # NT-Xent temperature, as methods.SimCLR's default (notebook 02,
                         # section 4, shows what tau does to the loss)
    # SimCLR's views, changed where the shapes' nuisances call for it: every shape is drawn at
    # a random angle and in a random colour, so the views rotate freely (rotation=180), shift
    # hue anywhere (0.5) and drop colour half the time (gray_p=0.5); with SimCLR's colour
    # settings nearest neighbours follow colour and kNN accuracy stays low. Each crop is
    # resized to 24 px (size=24): a step costs about half of one at 32 px, so twice the steps
    # fit in the budget, and the encoder (global pooling) is evaluated on the full 32-px images.
    # Training below the test resolution costs nothing here: crops enlarge objects, which the
    # smaller size undoes (Touvron et al., "Fixing the train-test resolution discrepancy",
    # NeurIPS 2019). `python -m mmcl_lite bench recipe` measures it over seeds.
    views=ImageViews.simclr(size=24).replace(hue=0.5, gray_p=0.5, rotation=180.0),
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

# `python -m mmcl_lite bench series`: TS2Vec's training budget (Yue et al., AAAI 2022; train.py
# and ts2vec.py in github.com/yuezhihan/ts2vec), used for every series method so that they
# are compared on one budget. A budget in optimiser steps, not epochs: the UEA sets range from
# a few dozen to thousands of series. The bench converts steps to fit's epochs (+ max_steps).
SERIES = dict(
    batch_size=8,          # TS2Vec's default; a set smaller than that trains on all of it
    lr=1e-3,               # TS2Vec's AdamW learning rate
    weight_decay=0.01,     # torch AdamW's default, which TS2Vec keeps (fit: not on biases/norms)
    warmup_epochs=0.0,     # TS2Vec has no warmup (its lr is constant; fit decays it by cosine)
    steps=200,             # TS2Vec's n_iters for a set of at most `large_values` values
    steps_large=600,       # ... and for a larger one
    large_values=100_000,  # N * C * T of the (padded) training tensor, as TS2Vec's data.size
)
SERIES_FAST = dict(SERIES, steps=2, steps_large=2)  # MMCL_FAST: a smoke run

# `python -m mmcl_lite bench fusion` and the zoo's fusion runs (notebook 09): the relations set,
# one budget for the dual encoder and the fusion model.
FUSION = dict(
    n_images=8000,         # two-object scenes rendered per seed (75% train / 25% test)
    test_fraction=0.25,
    epochs=20,             # 940 optimiser steps at batch 128
    batch_size=128,
    lr=1e-3,               # AdamW; transformers train less stably at the image methods' 2e-3
    weight_decay=0.01,
)
FUSION_FAST = dict(FUSION, n_images=400, epochs=1)  # MMCL_FAST: a smoke run

# `python -m mmcl_lite bench unpaired` (notebook 10): shapes with a small paired part and two
# unpaired pools; every model trains for one budget of optimiser steps, whatever its data size
# (CLIP on 225 pairs and CLIP on 4,500 pairs take as many steps).
UNPAIRED = dict(
    n_images=6000,         # shapes rendered per seed (75% train / 25% test)
    test_fraction=0.25,
    steps=500,             # optimiser steps per model
    batch_size=128,
    lr=2e-3,
    weight_decay=DEFAULTS["weight_decay"],
    paired_fraction=0.05,  # the main comparison: 5% of the training items keep their caption
    fractions=(0.01, 0.2),  # the curve's other points (the floor and pseudo-pairs at each)
    bag_sizes=(2, 4),      # MIL-NCE: K captions per image, one right (K = 1 is the ceiling)
)
UNPAIRED_FAST = dict(UNPAIRED, n_images=400, steps=2, fractions=(0.2,), bag_sizes=(2,))
