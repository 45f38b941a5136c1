"""Headless tests of viz.EmbeddingExplorer: every control driven from Python on the Agg backend."""
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.backend_bases import MouseEvent, PickEvent  # noqa: E402

from mmcl_lite.data import make_shapes  # noqa: E402
from mmcl_lite.training import History  # noqa: E402
from mmcl_lite.viz.explorer import EmbeddingExplorer, explore, procrustes_align  # noqa: E402

N, D, K = 200, 16, 6


@pytest.fixture(scope="module")
def data():
    return make_shapes(N, image_size=16)


@pytest.fixture(scope="module")
def centres():
    return torch.randn(6, D, generator=torch.Generator().manual_seed(1))


def fake_history(data, centres, strengths=(0.0, 1.0, 3.0), flip=False):
    """Snapshots that go from random to clustered by label, like a run that learns shape."""
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(N, D, generator=g)
    h = History(method="fake")
    for epoch, a in enumerate(strengths):
        z = noise + a * centres[data.labels] + 0.05 * torch.randn(N, D, generator=g)
        h.snapshots.append((epoch, -z if flip and epoch % 2 else z))
    h.snapshot_index = torch.arange(N)
    return h


@pytest.fixture()
def ex(data, centres):
    return EmbeddingExplorer(history=fake_history(data, centres), data=data, k=K)


def test_update_epoch_changes_offsets(ex):
    assert ex.epoch == 2  # starts at the last snapshot
    before = ex.scatter.get_offsets().copy()
    ex.update(epoch=0)
    after = ex.scatter.get_offsets()
    assert ex.epoch == 0 and after.shape == (N, 2)
    assert np.abs(after - before).mean() > 0.1
    assert "epoch 0" in ex.ax.get_title()
    ex.update(epoch=2)
    np.testing.assert_allclose(ex.scatter.get_offsets(), before)  # cached frame, same map


def test_color_by_changes_face_colours(ex, data):
    by_label = ex.scatter.get_facecolors().copy()
    assert len(by_label) == N
    # same label -> same colour; different labels -> different colours
    lab = data.labels.numpy()
    assert np.allclose(by_label[lab == 0], by_label[lab == 0][0])
    assert not np.allclose(by_label[lab == 0][0], by_label[lab == 1][0])
    ex.update(color_by="colour")
    by_colour = ex.scatter.get_facecolors()
    assert not np.allclose(by_label, by_colour)
    red = data.attributes["colour"].numpy() == 0  # an attribute that is a colour is drawn in it
    np.testing.assert_allclose(by_colour[red][0], matplotlib.colors.to_rgba("red"))
    ex.update(color_by="rotation")  # a continuous attribute: a colour ramp
    assert len(np.unique(ex.scatter.get_facecolors().round(3), axis=0)) > 20
    assert [t.get_text() for t in ex._legend.get_texts()][0] != ""


def test_select_fills_panel_with_true_cosine_neighbours(ex, data):
    i = 17
    top = ex.select(i)
    z = torch.nn.functional.normalize(torch.as_tensor(ex.frames[-1][1]), dim=1)
    sims = z @ z[i]
    sims[i] = -2
    expected = torch.topk(sims, K).indices.numpy()
    np.testing.assert_array_equal(np.sort(top), np.sort(expected))
    assert ex.panel["mode"] == "neighbours" and ex.panel["index"] == i
    np.testing.assert_array_equal(ex.panel["indices"], top)
    # the selected thumbnail and k neighbour thumbnails are drawn, with the items' pixels
    assert len(ex.selected_ax.images) == 1
    np.testing.assert_allclose(ex.selected_ax.images[0].get_array(),
                               data.images[i].permute(1, 2, 0).numpy() / 255, atol=1e-6)
    for ax, j in zip(ex.neighbour_axes, top):
        assert len(ax.images) == 1
        np.testing.assert_allclose(ax.images[0].get_array(),
                                   data.images[j].permute(1, 2, 0).numpy() / 255, atol=1e-6)
        assert ax.get_title().startswith(f"{j} ")
    # marked on the map: a star on the item, rings on its neighbours
    np.testing.assert_allclose(ex._sel_mark.get_offsets()[0], ex.projected()[i])
    assert len(ex._neigh_marks.get_offsets()) == K
    # a later epoch's neighbours are recomputed from that epoch's embeddings
    ex.update(epoch=0)
    z0 = torch.nn.functional.normalize(torch.as_tensor(ex.frames[0][1]), dim=1)
    s0 = z0 @ z0[i]
    s0[i] = -2
    np.testing.assert_array_equal(np.sort(ex.panel["indices"]),
                                  np.sort(torch.topk(s0, K).indices.numpy()))


def _isolated_point(ex):
    ex.figure.canvas.draw()
    xy = ex.ax.transData.transform(ex.projected())
    d = np.linalg.norm(xy[:, None] - xy[None], axis=-1) + np.eye(len(xy)) * 1e9
    j = int(np.argmax(d.min(1)))
    return j, xy[j]


def test_synthetic_mouse_click_selects_point(ex):
    j, (x, y) = _isolated_point(ex)
    event = MouseEvent("button_press_event", ex.figure.canvas, x + 1, y - 1, button=1)
    ex.figure.canvas.callbacks.process("button_press_event", event)  # through the wiring
    assert ex.panel["mode"] == "neighbours" and ex.panel["index"] == int(ex.shown[j])
    # a click on empty space or outside the map changes nothing
    far = MouseEvent("button_press_event", ex.figure.canvas, 2, 2, button=1)
    assert ex.on_click(far) is None and ex.panel["index"] == int(ex.shown[j])


def test_synthetic_pick_event_selects_point(ex):
    j, (x, y) = _isolated_point(ex)
    mouse = MouseEvent("button_press_event", ex.figure.canvas, x, y, button=1)
    pick = PickEvent("pick_event", ex.figure.canvas, mouse, ex.scatter, ind=np.array([j]))
    assert ex.on_click(pick) == int(ex.shown[j])
    assert ex.panel["index"] == int(ex.shown[j])


def test_query_marks_expected_topk(data, centres):
    h = fake_history(data, centres)

    def encode_text(sentences):  # a fake text tower: the centre of the shape it names
        names = data.class_names
        return torch.stack([centres[[n in s for n in names].index(True)] for s in sentences])

    ex = EmbeddingExplorer(history=h, data=data, text_encoder=encode_text, k=K)
    top = ex.query("a photo of a star", k=10)
    z = torch.nn.functional.normalize(torch.as_tensor(ex.frames[-1][1]), dim=1)
    expected = torch.topk(z @ torch.nn.functional.normalize(centres[3], dim=0), 10).indices
    np.testing.assert_array_equal(top, expected.numpy())
    assert (data.labels[top] == 3).float().mean() > 0.8  # mostly stars
    assert len(ex._marks.get_offsets()) == 10
    np.testing.assert_allclose(ex._marks.get_offsets(), ex.projected()[top])
    assert ex.panel["mode"] == "query" and len(ex.panel["indices"]) == K
    assert all(len(ax.images) == 1 for ax in ex.neighbour_axes)
    ex.update(epoch=0)  # marks follow their points to another frame
    np.testing.assert_allclose(ex._marks.get_offsets(), ex.projected()[top])
    with pytest.raises(ValueError, match="text_encoder"):
        EmbeddingExplorer(history=h, data=data).query("a star")


def test_procrustes_recovers_rotation_reflection_scale():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 2))
    theta = 0.7
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    r = rotation @ np.diag([1, -1])  # with a reflection
    b = 2.5 * a @ r + np.array([3.0, -1.0])
    np.testing.assert_allclose(procrustes_align(a, b), b, atol=1e-9)


def test_alignment_reduces_frame_to_frame_jumps(data, centres):
    # every other snapshot is negated: the same geometry, but PCA draws it mirrored
    h = fake_history(data, centres, strengths=(1.0, 1.2, 1.4, 1.6), flip=True)

    def mean_jump(explorer):
        frames = [explorer.projected(e) for e in explorer.epochs]
        return np.mean([np.linalg.norm(b - a, axis=1).mean() for a, b in zip(frames, frames[1:])])

    aligned = mean_jump(EmbeddingExplorer(history=h, data=data, align=True))
    unaligned = mean_jump(EmbeddingExplorer(history=h, data=data, align=False))
    assert aligned < 0.3 * unaligned


def test_inputs_embeddings_subset_and_max_points(data, centres):
    h = fake_history(data, centres)
    # a bare tensor: one frame; a list of (epoch, z); data larger than the snapshot via its index
    one = explore(h.snapshots[-1][1], data)
    assert one.epochs == [0] and len(one.scatter.get_offsets()) == N
    h.snapshots = [(e, z[::2]) for e, z in h.snapshots]
    h.snapshot_index = torch.arange(0, N, 2)
    sub = explore(h, data)
    np.testing.assert_array_equal(sub.labels, data.labels[::2].numpy())
    assert sub.select(3) is not None and sub.images.shape[0] == N // 2
    few = EmbeddingExplorer(embeddings=[(0, z) for _, z in h.snapshots[-1:]], data=data.subset(
        slice(0, N, 2)), max_points=30)
    assert len(few.scatter.get_offsets()) == 30
    assert few.neighbours(0)[0].max() < N // 2  # neighbours still search every item
    with pytest.raises(ValueError, match="epoch"):
        sub.update(epoch=7)
    with pytest.raises(ValueError, match="color_by"):
        sub.update(color_by="nope")
    with pytest.raises(ValueError, match="data"):
        EmbeddingExplorer(embeddings=torch.randn(10, 4), data=data)
    with pytest.raises(ValueError, match="history"):
        EmbeddingExplorer(history=History())


def test_static_figure_and_png(ex):
    fig = ex.static_figure()
    assert fig is ex.figure and len(fig.axes) >= 2 + K
    assert ex.to_png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tsne_projection(ex):
    ex.update(projection="tsne")
    assert ex.scatter.get_offsets().shape == (N, 2) and "t-SNE" in ex.ax.get_title()
    assert "tsne" in {p for _, p in ex._raw}


@pytest.mark.slow  # numba compiles UMAP's kernels in each new process: ~30 s on 2 cores
@pytest.mark.filterwarnings("ignore:n_jobs value")
def test_umap_projection(data, centres):
    pytest.importorskip("umap")
    h = fake_history(data, centres, strengths=(0.0, 3.0))
    ex = EmbeddingExplorer(history=h, data=data, projection="umap", max_points=80)
    first = ex.scatter.get_offsets().copy()
    ex.update(epoch=0)
    assert ex.scatter.get_offsets().shape == (80, 2)
    assert np.isfinite(first).all() and not np.allclose(first, ex.scatter.get_offsets())


def test_widget_controls_drive_methods(data, centres):
    W = pytest.importorskip("ipywidgets")
    h = fake_history(data, centres)
    ex = EmbeddingExplorer(history=h, data=data, text_encoder=lambda s: centres[:1].repeat(
        len(s), 1))
    ui = ex.widget()
    assert isinstance(ui, W.VBox) and ex.widget() is ui
    assert isinstance(ex.controls["epoch"], W.IntSlider)
    assert isinstance(ex.controls["color_by"], W.Dropdown)
    assert isinstance(ex.controls["text"], W.Text)
    assert not ex._interactive and isinstance(ui.children[-2], W.Output)  # inline fallback
    before = ex.scatter.get_offsets().copy()
    ex.controls["epoch"].value = 0
    assert ex.epoch == 0 and not np.allclose(before, ex.scatter.get_offsets())
    ex.controls["color_by"].value = "size"
    assert ex.color_by == "size"
    ex.controls["projection"].value = "pca"
    ex.controls["item"].value = 5
    assert ex.panel["index"] == 5
    ex.controls["text"].value = "a circle"
    assert ex.panel["mode"] == "query" and len(ex.marked) == ex.k
    ex.update(epoch=1, color_by="label")  # a change from Python shows on the controls
    ex.select(9)
    assert ex.controls["epoch"].value == 1 and ex.controls["color_by"].value == "label"
    assert ex.controls["item"].value == 9 and ex.panel["index"] == 9
    os.environ["MMCL_FAST"] = "0"   # a learner's kernel: the widget view and a PNG
    try:
        bundle = ex._repr_mimebundle_()
    finally:
        os.environ["MMCL_FAST"] = "1"
    assert "application/vnd.jupyter.widget-view+json" in bundle and "image/png" in bundle
    # test runs of the notebooks (FAST) get the PNG only: no widget traffic for nbclient
    assert set(ex._repr_mimebundle_()) == {"text/plain", "image/png"}


def test_importing_viz_does_not_import_ipywidgets():
    code = ("import sys, mmcl_lite.viz as v; assert 'ipywidgets' not in sys.modules; "
            "assert 'ipympl' not in sys.modules; v.EmbeddingExplorer; v.explore; "
            "assert 'ipywidgets' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True,
                   env={**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"})
