"""MoCo, SimSiam, BYOL, SwAV: the method protocol, stop-gradients, EMA targets, queues,
prototype freezing and checkpoints, on tiny data (16x16 images, batches of 16, a few steps)."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmcl_lite.augment import ImageViews
from mmcl_lite.training import load_checkpoint, save_checkpoint
from mmcl_lite.data import make_shapes
from mmcl_lite.methods import BYOL, METHODS, SimSiam, MoCo, SwAV
from mmcl_lite.models import cosine_tau
from mmcl_lite.train import fit

SMALL_SETTINGS = {
    "MoCo": dict(proj_dim=16, proj_hidden=32, queue_size=64, bn_splits=2),
    "SimSiam": dict(proj_dim=16, proj_hidden=32, pred_hidden=8),
    "BYOL": dict(proj_dim=16, proj_hidden=32, pred_hidden=32),
    "SwAV": dict(proj_dim=16, proj_hidden=32, n_prototypes=8, queue_size=32, n_local=2),
}
CLASSES = {"MoCo": MoCo, "SimSiam": SimSiam, "BYOL": BYOL, "SwAV": SwAV}


def small(name, **changes):
    """A tiny version of a method for 16x16 images (``changes`` override the settings)."""
    return CLASSES[name](image_size=16, **{**SMALL_SETTINGS[name], **changes})


SMALL = {name: (lambda name=name, **kw: small(name, **kw)) for name in CLASSES}


@pytest.fixture(scope="module")
def data():
    return make_shapes(64, image_size=16)


def _batch(data, n=16):
    return {"images": data.images[:n], "labels": data.labels[:n], "index": torch.arange(n)}


def _plain(x):
    """True when x is plain data (what a weights_only checkpoint can carry)."""
    if isinstance(x, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        return all(_plain(v) for v in x)
    return x is None or isinstance(x, (bool, int, float, str))


@pytest.mark.parametrize("name", SMALL)
def test_training_step_is_finite_and_trains_the_encoder(name, data):
    torch.manual_seed(0)
    method = SMALL[name]()
    assert METHODS[name] is type(method)
    out = method.training_step(_batch(data))
    assert torch.isfinite(out["loss"]) and out["loss"].ndim == 0
    out["loss"].backward()
    grads = [p.grad for p in method.encoder.parameters()]
    assert all(g is not None for g in grads) and sum(g.abs().sum() for g in grads) > 0
    assert method.encode(data.images[:4]).shape == (4, method.feature_dim)


@pytest.mark.parametrize("name", SMALL)
def test_fit_checkpoint_round_trip(name, data, tmp_path):
    torch.manual_seed(0)
    method = SMALL[name]()
    history = fit(method, data, epochs=2, batch_size=16, max_steps=3, progress=False,
                  device="cpu")
    assert history.status == "completed" and len(history.steps) == 3
    assert all(math.isfinite(s["loss"]) for s in history.steps)
    assert _plain(method.config)
    path = save_checkpoint(method, tmp_path / f"{name}.pt", history)
    loaded = load_checkpoint(path)
    assert type(loaded) is type(method) and loaded.config == method.config
    method.eval(), loaded.eval()
    with torch.no_grad():
        assert torch.equal(loaded.encode(data.images[:8]), method.encode(data.images[:8]))
    for (k, a), b in zip(method.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b), k  # target networks, queues and prototypes included
    fresh = method.fresh_copy()
    assert type(fresh) is type(method) and fresh.views == method.views


# ---------------------------------------------------------------- SimSiam
def test_simsiam_stop_gradient_blocks_the_target_branch():
    g = torch.Generator().manual_seed(0)
    p1, p2, z1, z2 = (torch.randn(6, 5, generator=g, requires_grad=True) for _ in range(4))
    SimSiam(proj_dim=5, stop_gradient=True).similarity_loss(p1, p2, z1, z2).backward()
    assert z1.grad is None and z2.grad is None  # the targets get nothing
    assert p1.grad.abs().sum() > 0 and p2.grad.abs().sum() > 0
    for t in (p1, p2):
        t.grad = None
    SimSiam(proj_dim=5, stop_gradient=False).similarity_loss(p1, p2, z1, z2).backward()
    assert z1.grad.abs().sum() > 0 and z2.grad.abs().sum() > 0  # the ablation: they do


def test_simsiam_loss_is_symmetric():
    g = torch.Generator().manual_seed(1)
    p1, p2, z1, z2 = (torch.randn(6, 5, generator=g) for _ in range(4))
    for sg in (True, False):
        m = SimSiam(proj_dim=5, stop_gradient=sg)
        torch.testing.assert_close(m.similarity_loss(p1, p2, z1, z2),
                                   m.similarity_loss(p2, p1, z2, z1))


def _encoder_grads(method, batch):
    method.generator.manual_seed(0)
    method.zero_grad(set_to_none=True)
    method.training_step(batch)["loss"].backward()
    return torch.cat([p.grad.flatten() for p in method.encoder.parameters()])


def test_simsiam_flags_change_the_gradient(data):
    torch.manual_seed(0)
    with_sg = SMALL["SimSiam"]()
    without = SMALL["SimSiam"](stop_gradient=False)
    without.load_state_dict(with_sg.state_dict())
    batch = _batch(data)
    a, b = _encoder_grads(with_sg, batch), _encoder_grads(without, batch)
    assert not torch.allclose(a, b)
    assert isinstance(SMALL["SimSiam"](use_predictor=False).predictor, torch.nn.Identity)


# ---------------------------------------------------------------- BYOL and MoCo: EMA targets
@pytest.mark.parametrize("name, online, target", [
    ("BYOL", ("encoder", "projector"), ("target_encoder", "target_projector")),
    ("MoCo", ("encoder", "projector"), ("key_encoder", "key_projector")),
])
def test_momentum_network_gets_no_gradient_and_follows_the_ema(name, online, target, data):
    torch.manual_seed(0)
    method = SMALL[name]()
    opt = method.configure_optimizer(1e-2, 0.0)
    assert not any(p.requires_grad for t in target for p in getattr(method, t).parameters())
    method.training_step(_batch(data))["loss"].backward()
    assert all(p.grad is None for t in target for p in getattr(method, t).parameters())
    opt.step()
    before = [p.clone() for t in target for p in getattr(method, t).parameters()]
    method.on_step_end(0, 10)
    tau = method.ema if name == "MoCo" else cosine_tau(0, 10, method.config["ema"])
    after = [p for t in target for p in getattr(method, t).parameters()]
    now = [p for o in online for p in getattr(method, o).parameters()]
    assert any(not torch.equal(a, b) for a, b in zip(after, before))  # it moved
    for a, b, o in zip(after, before, now):
        torch.testing.assert_close(a, tau * b + (1 - tau) * o)


def test_byol_tau_schedules(data):
    m = SMALL["BYOL"]()
    m.on_step_end(3, 10)
    assert m.training_step(_batch(data))["tau"] == pytest.approx(cosine_tau(4, 10, m.config["ema"]))
    copy = SMALL["BYOL"](ema=0.0, ema_schedule="constant")
    with torch.no_grad():
        for p in copy.encoder.parameters():
            p.add_(1.0)
    copy.on_step_end(0, 10)  # tau = 0: the target becomes the online network
    for t, o in zip(copy.target_encoder.state_dict().values(), copy.encoder.state_dict().values()):
        assert torch.equal(t, o)
    assert copy.tau == 0.0
    with pytest.raises(ValueError, match="^ema_schedule"):
        BYOL(ema_schedule="linear")


def test_moco_queue_and_shuffled_keys(data):
    torch.manual_seed(0)
    m = SMALL["MoCo"]()
    out = m.training_step(_batch(data))
    assert len(m.queue) == 32 and out["queue_fill"] == 0.5  # both views' keys (symmetric)
    torch.testing.assert_close(m.queue.keys().norm(dim=1), torch.ones(32))
    m.training_step(_batch(data))
    assert len(m.queue) == 64
    one_way = SMALL["MoCo"](symmetric=False)
    one_way.training_step(_batch(data))
    assert len(one_way.queue) == 16
    # shuffle + unshuffle puts every key back in its place (eval mode: BN uses running stats)
    m.eval()
    x = data.images[:16]
    expected = F.normalize(m.key_projector(m.key_encoder(x)), dim=1)
    torch.testing.assert_close(m.key(x), expected)
    with pytest.raises(ValueError, match="bn_splits"):
        MoCo(bn_splits=1)
    m.train()
    with pytest.raises(ValueError, match="batch"):
        m.training_step(_batch(data, n=3))


# ---------------------------------------------------------------- SwAV
def test_swav_prototypes_frozen_in_first_epoch_and_renormalised(data):
    torch.manual_seed(0)
    m = SMALL["SwAV"](freeze_prototypes_epochs=1)
    assert m.prototypes.frozen
    m.on_epoch_start(1, 3)
    m.training_step(_batch(data))["loss"].backward()
    assert m.prototypes.weight.grad is None
    m.on_epoch_start(2, 3)
    assert not m.prototypes.frozen
    opt = m.configure_optimizer(0.5, 0.0)
    opt.zero_grad()
    out = m.training_step(_batch(data))
    out["loss"].backward()
    assert out["prototypes_frozen"] == 0.0 and m.prototypes.weight.grad.abs().sum() > 0
    opt.step()
    assert not torch.allclose(m.prototypes.weight.norm(dim=1), torch.ones(8))
    m.training_step(_batch(data))
    torch.testing.assert_close(m.prototypes.weight.norm(dim=1), torch.ones(8))
    assert not SMALL["SwAV"](freeze_prototypes_epochs=0).prototypes.frozen


def test_swav_queue_and_views(data):
    m = SMALL["SwAV"]()
    assert len(m.views(data.images[:2])) == 2 + 2
    out = m.training_step(_batch(data))
    assert out["queue_fill"] == 0.5 and len(m.queues) == 2
    out = m.training_step(_batch(data))  # the queue now joins Sinkhorn
    assert torch.isfinite(out["loss"]) and out["queue_fill"] == 1.0
    assert SwAV.from_config(m.config).views == m.views
    assert SMALL["SwAV"](queue_size=0).queues is None
    with pytest.raises(TypeError, match="views"):
        SwAV(views="multicrop")


def test_swav_defaults_keep_the_object_in_view_without_local_crops_or_queue(data):
    """The measured recipe for shapes: large global crops only, no queue (see SwAV's docstring)."""
    m = SwAV(proj_dim=16, proj_hidden=32, image_size=16)
    assert m.queues is None and m.prototypes.k == 100
    assert (m.views.n_global, m.views.n_local) == (2, 0)
    assert m.views.global_views == ImageViews.simclr(16).replace(crop_scale=(0.6, 1.0))
    out = m.training_step(_batch(data))
    assert torch.isfinite(out["loss"]) and "queue_fill" not in out
    wide = SwAV(proj_dim=16, proj_hidden=32, crop_scale=[0.3, 1.0], n_local=1)
    assert wide.views.global_views.crop_scale == (0.3, 1.0) and wide.views.n_local == 1
    assert SwAV.from_config(wide.config).views == wide.views
    given = SwAV(proj_dim=16, proj_hidden=32, views=wide.views, n_local=0)  # views win
    assert given.config["n_local"] == 1 and given.config["crop_scale"] == (0.3, 1.0)
    with pytest.raises(TypeError, match="^crop_scale"):  # a number where a pair belongs
        SwAV(crop_scale=0.6)


@pytest.mark.parametrize("cls", [BYOL, SimSiam])
def test_predictor_learns_at_its_own_lr(cls):
    m = cls(proj_dim=8, proj_hidden=16, pred_hidden=16, predictor_lr_scale=10.0)
    opt = m.configure_optimizer(1e-3, 0.01)
    pred = {id(p) for p in m.predictor.parameters()}
    for group in opt.param_groups:
        in_pred = {id(p) in pred for p in group["params"]}
        assert len(in_pred) == 1  # a group is all predictor or all not
        assert group["lr"] == pytest.approx(1e-2 if in_pred.pop() else 1e-3)
        assert group["weight_decay"] == (0.01 if group["params"][0].ndim > 1 else 0.0)
    n_trainable = sum(p.requires_grad for p in m.parameters())
    assert sum(len(g["params"]) for g in opt.param_groups) == n_trainable
    with pytest.raises(ValueError, match="^predictor_lr_scale"):
        cls(predictor_lr_scale=0.0)


def test_byol_views_rotate_the_hue_fully_by_default():
    """BYOL's own default (colour a weak cue for the two views to agree on); the rest is SimCLR's."""
    m = BYOL(proj_dim=8, proj_hidden=16, pred_hidden=16, image_size=16)
    assert m.views == ImageViews.simclr(16).replace(hue=0.5)
    assert BYOL.from_config(m.config).views == m.views  # what a checkpoint rebuilds
    mild = ImageViews.simclr(16)
    assert BYOL(proj_dim=8, proj_hidden=16, pred_hidden=16, views=mild).views == mild
    assert SimSiam(image_size=16).views == mild  # the change is BYOL's alone


def test_seed_views_gives_a_seeded_generator_on_the_device():
    m = BYOL(proj_dim=8, proj_hidden=16, pred_hidden=16)
    x = make_shapes(8, seed=0, image_size=16).images
    m.seed_views(5, "cpu")
    assert m.generator.device.type == "cpu"
    a = m.views(x, generator=m.generator)
    m.seed_views(5)
    assert torch.equal(a, m.views(x, generator=m.generator))
