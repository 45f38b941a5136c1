import numpy as np
import pytest
import torch

from mmcl_lite import evaluate
from mmcl_lite.training import load_checkpoint, save_checkpoint
from mmcl_lite.methods import SimCLR
from mmcl_lite.train import fit


def test_fit_records_history_and_monitor(tiny_shapes):
    m = SimCLR(proj_hidden=64, proj_dim=32)
    h = fit(m, tiny_shapes, epochs=2, batch_size=32, progress=False,
            knn_monitor=(tiny_shapes, tiny_shapes), snapshot_data=tiny_shapes.subset(slice(0, 20)))
    assert h.status == "completed"
    assert len(h.steps) == 6 and np.isfinite(h.loss).all()
    assert [e["epoch"] for e in h.epochs] == [0, 1, 2]
    assert all(0 <= e["knn"] <= 1 and e["eff_rank"] >= 1 for e in h.epochs)
    assert len(h.snapshots) == 3 and h.snapshots[0][1].shape == (20, m.feature_dim)
    assert not m.training  # fit leaves the model in eval mode


def test_fit_changes_weights_and_is_reproducible(tiny_shapes):
    def run():
        torch.manual_seed(0)
        m = SimCLR(proj_hidden=64, proj_dim=32)
        before = m.encoder.net[1][0].weight.clone()
        h = fit(m, tiny_shapes, epochs=1, batch_size=32, progress=False, seed=5)
        return before, m.encoder.net[1][0].weight.detach().clone(), h.loss
    b1, a1, l1 = run()
    b2, a2, l2 = run()
    assert not torch.equal(b1, a1)
    assert torch.equal(a1, a2) and np.array_equal(l1, l2)


def test_fit_stops_on_nan_and_keeps_model(tiny_shapes):
    m = SimCLR(proj_hidden=64, proj_dim=32)
    calls = {"n": 0}
    real_step = m.training_step

    def poisoned(batch):
        calls["n"] += 1
        out = real_step(batch)
        if calls["n"] == 2:
            out["loss"] = out["loss"] * float("nan")
        return out
    m.training_step = poisoned
    with pytest.warns(RuntimeWarning, match="non-finite"):
        h = fit(m, tiny_shapes, epochs=3, batch_size=32, progress=False)
    assert h.status == "nan" and len(h.steps) == 1
    assert all(torch.isfinite(p).all() for p in m.parameters())


def test_fit_ctrl_c_returns_history(tiny_shapes):
    m = SimCLR(proj_hidden=64, proj_dim=32)
    real_step, calls = m.training_step, {"n": 0}

    def interrupt(batch):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_step(batch)
    m.training_step = interrupt
    h = fit(m, tiny_shapes, epochs=3, batch_size=32, progress=False)
    assert h.status == "interrupted" and len(h.steps) == 2


def test_fit_bad_arguments(tiny_shapes):
    with pytest.raises(ValueError, match="epochs"):
        fit(SimCLR(), tiny_shapes, epochs=0)
    with pytest.raises(ValueError, match="batch_size"):
        fit(SimCLR(), tiny_shapes, epochs=1, batch_size=1000)


def test_checkpoint_round_trip(tmp_path, tiny_shapes):
    m = SimCLR(proj_hidden=64, proj_dim=32, temperature=0.3)
    h = fit(m, tiny_shapes, epochs=1, batch_size=32, progress=False, checkpoint=tmp_path / "c.pt")
    assert (tmp_path / "c.pt").exists() and not (tmp_path / "c.pt.tmp").exists()
    save_checkpoint(m, tmp_path / "m.pt", h)
    m2, h2 = load_checkpoint(tmp_path / "m.pt", with_history=True)
    assert isinstance(m2, SimCLR) and m2.temperature == 0.3
    x = tiny_shapes.images[:8]
    m.eval(), m2.eval()
    assert torch.allclose(m.encode(x), m2.encode(x))
    assert len(h2.steps) == len(h.steps)


def test_knn_and_probe_on_separable_features():
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(4, 16, generator=g) * 5
    y = torch.arange(400) % 4
    x = centres[y] + torch.randn(400, 16, generator=g)
    assert evaluate.knn_accuracy(x[:300], y[:300], x[300:], y[300:]) > 0.95
    assert evaluate.linear_probe_accuracy(x[:300], y[:300], x[300:], y[300:]) > 0.95
    noise = torch.randn(400, 16, generator=g)
    assert evaluate.knn_accuracy(noise[:300], y[:300], noise[300:], y[300:]) < 0.5


def test_knn_matches_loop_oracle():
    g = torch.Generator().manual_seed(1)
    tx, ty = torch.randn(50, 8, generator=g), torch.randint(3, (50,), generator=g)
    qx, qy = torch.randn(20, 8, generator=g), torch.randint(3, (20,), generator=g)
    correct = 0
    for i in range(20):
        sims = [float(torch.cosine_similarity(qx[i], tx[j], dim=0)) for j in range(50)]
        top = sorted(range(50), key=lambda j: -sims[j])[:5]
        votes = [0.0] * 3
        for j in top:
            votes[int(ty[j])] += np.exp(sims[j] / 0.07)
        correct += int(np.argmax(votes) == int(qy[i]))
    assert evaluate.knn_accuracy(tx, ty, qx, qy, k=5) == pytest.approx(correct / 20)


def test_collapse_statistics():
    z = torch.randn(200, 32)
    collapsed = torch.randn(1, 32).repeat(200, 1) + 1e-4 * torch.randn(200, 32)
    assert evaluate.effective_rank(z) > 20
    assert evaluate.embedding_std(z) > 0.8 and evaluate.embedding_std(collapsed) < 0.05
    line = torch.randn(200, 1) * torch.randn(1, 32)
    assert evaluate.effective_rank(line) == pytest.approx(1.0, abs=0.05)


def test_embed_and_baselines(tiny_shapes):
    m = SimCLR(proj_hidden=64, proj_dim=32)
    m.train()
    z = evaluate.embed(m, tiny_shapes, batch_size=40)
    assert z.shape == (len(tiny_shapes), m.feature_dim) and m.training
    rows = evaluate.compare(m, tiny_shapes, tiny_shapes)
    assert set(rows) == {"raw pixels", "random encoder", "SimCLR"}
    assert "linear" in evaluate.format_table(rows)
    with pytest.raises(ValueError, match="data"):
        evaluate.embed(m, torch.zeros(3, 4))


def test_torch_probe_agrees_with_sklearn():
    g = torch.Generator().manual_seed(2)
    centres = torch.randn(3, 10, generator=g)
    y = torch.arange(300) % 3
    x = centres[y] + 1.5 * torch.randn(300, 10, generator=g)
    a = evaluate.linear_probe_accuracy(x[:200], y[:200], x[200:], y[200:], weight_decay=1e-4)
    b = evaluate.linear_probe_accuracy(x[:200], y[:200], x[200:], y[200:], backend="sklearn")
    assert abs(a - b) <= 0.05
