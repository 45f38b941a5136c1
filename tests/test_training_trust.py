"""Training you can trust: exact resume, interrupts anywhere, a real NaN guard, seeds that
repeat across processes, atomic checkpoints that never run a pickle.

Each test is built so that a plausible bug breaks it: states are compared bit for bit with an
uninterrupted or shorter run of the same seed, not merely checked for being finite.
"""
import os
import pickle
import subprocess
import sys
import textwrap

import pytest
import torch

from mmcl_lite.data import make_shapes
from mmcl_lite.methods import BYOL, MoCo, SimCLR, SwAV
from mmcl_lite.train import fit
from mmcl_lite.training import loop as fit_module
from mmcl_lite.training import load_checkpoint, save_checkpoint
from mmcl_lite.training.checkpoint import read_checkpoint

RUN = dict(epochs=3, batch_size=16, lr=5e-3, progress=False)   # 4 steps per epoch on 64 images
SMALL = {
    "SimCLR": lambda: SimCLR(proj_dim=16, proj_hidden=32, image_size=16, seed=0),
    "MoCo": lambda: MoCo(proj_dim=16, proj_hidden=32, image_size=16, queue_size=64,
                         bn_splits=2, seed=0),
    "BYOL": lambda: BYOL(proj_dim=16, proj_hidden=32, pred_hidden=16, image_size=16, seed=0),
    "SwAV": lambda: SwAV(proj_dim=16, proj_hidden=32, image_size=16, n_prototypes=8,
                         queue_size=32, seed=0),
}


@pytest.fixture(scope="module")
def data():
    return make_shapes(64, seed=0, image_size=16)


def _state(method) -> dict:
    return {k: v.detach().clone() for k, v in method.state_dict().items()}


def _assert_same_state(a: dict, b: dict):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def _steps(history):
    return [{k: v for k, v in s.items()} for s in history.steps]


class _Interrupt:
    """Raise KeyboardInterrupt on the n-th call of a wrapped function (as Ctrl-C would)."""

    def __init__(self, fn, n):
        self.fn, self.n, self.calls = fn, n, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.n:
            raise KeyboardInterrupt
        return self.fn(*args, **kwargs)


# ---------------------------------------------------------------------- exact resume
@pytest.mark.parametrize("name", list(SMALL))
@pytest.mark.parametrize("where", ["training_step", "on_step_end", "monitor", "first monitor",
                                   "first prototype update"])
def test_interrupted_and_resumed_equals_uninterrupted(name, where, data, tmp_path, monkeypatch):
    """Ctrl-C inside a step, inside the end-of-step hook (after the optimiser moved), in the
    epoch-2 and the epoch-0 monitor, and in step 5, the first step that creates optimiser state
    for SwAV's prototypes (frozen in epoch 1)."""
    reference = SMALL[name]()
    ref_history = fit(reference, data, knn_monitor=(data, data), **RUN)

    method = SMALL[name]()
    ckpt = tmp_path / "run.pt"
    if where.endswith("monitor"):  # the 3rd call is epoch 2's monitor, the 1st epoch 0's
        calls = 3 if where == "monitor" else 1
        monkeypatch.setattr(fit_module, "_monitor", _Interrupt(fit_module._monitor, calls))
    elif where == "first prototype update":
        method.on_step_end = _Interrupt(method.on_step_end, 5)
    else:                   # Ctrl-C inside the 6th step
        setattr(method, where, _Interrupt(getattr(method, where), 6))
    history = fit(method, data, knn_monitor=(data, data), checkpoint=ckpt, **RUN)
    monkeypatch.undo()
    assert history.status == "interrupted"
    done = len(history.steps)
    assert done == {"monitor": 8, "first monitor": 0, "first prototype update": 4}.get(where, 5)
    # the checkpoint holds exactly the model and history that fit returned
    saved, saved_history = load_checkpoint(ckpt, with_history=True)
    _assert_same_state(_state(saved), _state(method))
    assert saved_history.status == "interrupted" and len(saved_history.steps) == done

    resumed = SMALL[name]()
    history = fit(resumed, data, knn_monitor=(data, data), checkpoint=ckpt, resume=ckpt, **RUN)
    assert history.status == "completed"
    _assert_same_state(_state(resumed), _state(reference))
    assert _steps(history) == _steps(ref_history)
    assert [e["knn"] for e in history.epochs] == [e["knn"] for e in ref_history.epochs]


def test_resume_refuses_another_method_config_or_run(data, tmp_path):
    ckpt = tmp_path / "run.pt"
    fit(SMALL["SimCLR"](), data, checkpoint=ckpt, max_steps=2, **RUN)
    with pytest.raises(ValueError, match="^resume: .*SimCLR"):
        fit(SMALL["BYOL"](), data, resume=ckpt, **RUN)
    with pytest.raises(ValueError, match="^resume: .*another config"):
        fit(SimCLR(proj_dim=8, proj_hidden=32, image_size=16, seed=0), data, resume=ckpt, **RUN)
    with pytest.raises(ValueError, match="^resume: .*lr"):
        fit(SMALL["SimCLR"](), data, resume=ckpt, **dict(RUN, lr=1e-3), max_steps=2)
    plain = tmp_path / "plain.pt"
    save_checkpoint(SMALL["SimCLR"](), plain)
    with pytest.raises(ValueError, match="^resume: .*run state"):
        fit(SMALL["SimCLR"](), data, resume=plain, **RUN)


def test_fit_refuses_a_history_that_already_has_records(data):
    history = fit(SMALL["SimCLR"](), data, max_steps=1, **RUN)
    with pytest.raises(ValueError, match="^history"):
        fit(SMALL["SimCLR"](), data, history=history, **RUN)


def test_logged_lr_is_the_lr_the_step_used(data):
    history = fit(SMALL["SimCLR"](), data, **dict(RUN, warmup_epochs=1.0))
    # warmup over 4 steps: step k (1-based) uses lr * k / 4
    assert [s["lr"] for s in history.steps[:4]] == pytest.approx([5e-3 * k / 4 for k in (1, 2, 3, 4)])


# ------------------------------------------------------------------------- NaN guard
def _poison_encoder_after(method, steps):
    """The encoder's output turns NaN once ``steps`` steps have completed (train mode only)."""
    forward, on_step_end, done = method.encoder.forward, method.on_step_end, [0]

    def poisoned(x):
        out = forward(x)
        return out * float("nan") if method.training and done[0] >= steps else out

    def count(step, total):
        on_step_end(step, total)
        done[0] += 1
    method.encoder.forward, method.on_step_end = poisoned, count


@pytest.mark.parametrize("name", ["SimCLR", "MoCo", "BYOL", "SwAV"])
def test_nan_in_the_forward_pass_restores_the_last_good_step(name, data, tmp_path):
    method = SMALL[name]()
    _poison_encoder_after(method, 5)   # the 6th step's forward pass
    hook, good_state = method.on_step_end, {}

    def remember(step, total):       # the state the 5th (last good) step ends with
        hook(step, total)
        if step == 4:
            good_state.update(_state(method))
    method.on_step_end = remember
    ckpt = tmp_path / "nan.pt"
    with pytest.warns(RuntimeWarning, match="non-finite"):
        history = fit(method, data, checkpoint=ckpt, **RUN)
    assert history.status == "nan" and "step 6" in history.message
    assert len(history.steps) == 5
    # weights *and* buffers (BN statistics, EMA targets, queues, prototypes) of step 5
    _assert_same_state(_state(method), good_state)
    saved, saved_history = load_checkpoint(ckpt, with_history=True)
    _assert_same_state(_state(saved), good_state)
    assert saved_history.status == "nan"


def test_nan_loss_restores_the_last_good_step(data):
    good = SMALL["SimCLR"]()
    fit(good, data, max_steps=3, **RUN)
    method = SMALL["SimCLR"]()
    step, count = method.training_step, [0]

    def nan_at_four(batch):
        out = step(batch)   # BN statistics move during this forward
        count[0] += 1
        return dict(out, loss=out["loss"] * float("nan")) if count[0] == 4 else out
    method.training_step = nan_at_four
    with pytest.warns(RuntimeWarning):
        history = fit(method, data, **RUN)
    assert history.status == "nan" and len(history.steps) == 3
    _assert_same_state(_state(method), _state(good))


def test_divergence_from_a_huge_lr_stops_with_finite_weights(data):
    method = SMALL["SimCLR"]()
    with pytest.warns(RuntimeWarning):
        history = fit(method, data, **dict(RUN, lr=1e30))
    assert history.status == "nan"
    assert all(bool(torch.isfinite(v).all()) for v in method.state_dict().values()
               if v.is_floating_point())


def test_non_finite_values_before_any_update_still_raise(data):
    method = SMALL["SimCLR"]()
    _poison_encoder_after(method, 0)
    with pytest.raises(ValueError, match="finite"):
        fit(method, data, **RUN)


# ----------------------------------------------------------------------------- seeds
SEED_SCRIPT = textwrap.dedent("""
    import hashlib, sys
    import torch
    from mmcl_lite.data import make_shapes
    from mmcl_lite.methods import SimCLR
    from mmcl_lite.train import fit
    torch.manual_seed(int(sys.argv[3]))   # the global RNG must not matter when seeds are given
    m = SimCLR(proj_dim=16, proj_hidden=32, image_size=16, seed=int(sys.argv[1]))
    fit(m, make_shapes(64, image_size=16), epochs=1, batch_size=16, seed=int(sys.argv[2]),
        progress=False)
    h = hashlib.sha256()
    for v in m.state_dict().values():
        h.update(v.detach().numpy().tobytes())
    print(h.hexdigest())
""")


def _digest(method_seed: int, fit_seed: int, global_seed: int) -> str:
    env = dict(os.environ, MMCL_DEVICE="cpu")
    run = subprocess.run([sys.executable, "-c", SEED_SCRIPT, str(method_seed), str(fit_seed),
                          str(global_seed)],
                         capture_output=True, text=True, env=env, timeout=300, check=True)
    return run.stdout.strip().splitlines()[-1]


def test_seeded_runs_repeat_across_processes_and_differ_across_seeds():
    first = _digest(0, 0, 11)
    assert _digest(0, 0, 22) == first     # another process, another global state: same run
    assert _digest(0, 1, 11) != first     # fit's seed alone changes the run (order, views)
    assert _digest(1, 0, 11) != first     # the method's seed alone changes it (weights)


def test_a_seed_leaves_the_callers_random_state_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    SimCLR(proj_dim=8, proj_hidden=16, seed=3)
    assert torch.equal(torch.rand(3), expected)
    a = SimCLR(proj_dim=8, proj_hidden=16, seed=3)
    b = SimCLR(proj_dim=8, proj_hidden=16, seed=3)
    _assert_same_state(_state(a), _state(b))


# ------------------------------------------------------------------------------ files
def test_a_failed_save_keeps_the_old_checkpoint_and_no_temp_file(data, tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    first = SMALL["SimCLR"]()
    save_checkpoint(first, path)

    def half_then_fail(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")
    monkeypatch.setattr(torch, "save", half_then_fail)
    with pytest.raises(OSError):
        save_checkpoint(SMALL["BYOL"](), path)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]
    assert type(load_checkpoint(path)) is SimCLR
    _assert_same_state(_state(load_checkpoint(path)), _state(first))


def test_a_failed_save_inside_fit_keeps_the_run(data, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(torch, "save", fail)
    with pytest.warns(RuntimeWarning, match="could not be written"):
        history = fit(SMALL["SimCLR"](), data, checkpoint=tmp_path / "m.pt", **RUN)
    assert history.status == "completed" and len(history.steps) == 12
    assert "disk full" in history.message
    assert list(tmp_path.iterdir()) == []


class _Exploit:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_payload_is_refused_and_never_runs(tmp_path):
    exploit = _Exploit()
    exploit.marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"class": "SimCLR", "config": {}, "state_dict": exploit}, f)
    with pytest.raises(ValueError, match="^path: expected an mmcl-lite checkpoint"):
        load_checkpoint(path)
    assert not exploit.marker.exists()
    torch.save({"class": "SimCLR", "state_dict": exploit}, tmp_path / "evil2.pt")
    with pytest.raises(ValueError, match="^path"):
        load_checkpoint(tmp_path / "evil2.pt")
    assert not exploit.marker.exists()


def test_truncated_foreign_and_missing_files_get_a_clear_error(tmp_path):
    good = tmp_path / "good.pt"
    save_checkpoint(SMALL["SimCLR"](), good)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    text = tmp_path / "notes.txt"
    text.write_text("not a checkpoint")
    for path in (truncated, foreign, text, tmp_path / "missing.pt"):
        with pytest.raises(ValueError, match="^path: expected"):
            read_checkpoint(path)


def test_ctrl_c_during_a_save_keeps_a_consistent_checkpoint(data, tmp_path, monkeypatch):
    """Ctrl-C while the end-of-epoch checkpoint is written: no temp file, and the final save
    holds the model and history fit returns."""
    ckpt = tmp_path / "m.pt"
    real_save, calls = torch.save, [0]

    def interrupted_once(*args, **kwargs):
        calls[0] += 1
        if calls[0] == 1:
            raise KeyboardInterrupt
        return real_save(*args, **kwargs)
    monkeypatch.setattr(torch, "save", interrupted_once)
    method = SMALL["MoCo"]()
    history = fit(method, data, checkpoint=ckpt, **RUN)
    assert history.status == "interrupted" and len(history.steps) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]
    saved, saved_history = load_checkpoint(ckpt, with_history=True)
    _assert_same_state(_state(saved), _state(method))
    assert len(saved_history.steps) == 4


SIGINT_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from mmcl_lite.data import make_shapes
    from mmcl_lite.methods import SimCLR
    from mmcl_lite.train import fit
    from mmcl_lite.training import load_checkpoint
    # what a terminal gives Python: Ctrl-C raises KeyboardInterrupt (a runner that started this
    # process in the background may have set SIGINT to be ignored, which Python inherits)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    m = SimCLR(proj_dim=16, proj_hidden=32, image_size=16, seed=0)
    hook = m.on_step_end
    def on_step_end(step, total):          # a real SIGINT, as Ctrl-C sends, inside step 3
        hook(step, total)
        if step == 2:
            os.kill(os.getpid(), signal.SIGINT)
    m.on_step_end = on_step_end
    h = fit(m, make_shapes(64, image_size=16), epochs=2, batch_size=16, progress=False,
            checkpoint=sys.argv[1])
    saved, sh = load_checkpoint(sys.argv[1], with_history=True)
    same = all((a == b).all() for a, b in zip(saved.state_dict().values(), m.state_dict().values()))
    print(h.status, len(h.steps), sh.status, len(sh.steps), same)
""")


def test_a_real_sigint_stops_cleanly(tmp_path):
    run = subprocess.run([sys.executable, "-c", SIGINT_SCRIPT, str(tmp_path / "m.pt")],
                         capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, MMCL_DEVICE="cpu"))
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "interrupted 2 interrupted 2 True"
