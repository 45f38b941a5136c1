"""The relations data, the fusion model and the binding evaluation."""
import pytest
import torch

from mmcl_lite.data import make_relations
from mmcl_lite.data.text.relations import SWAP_KINDS, binding_negatives
from mmcl_lite.evaluation import binding_accuracy, masked_word_accuracy, rerank_retrieval
from mmcl_lite.methods import CLIP, Fusion
from mmcl_lite.models import CrossModalSeriesEncoder, FusionEncoder


@pytest.fixture(scope="module")
def scenes():
    return make_relations(64, seed=3)


@pytest.fixture(scope="module")
def fusion(scenes):
    return Fusion.for_data(scenes, seed=0, width=32, heads=2, embed_dim=16)


def test_relations_repeat_by_seed_and_differ_across_seeds(scenes):
    again = make_relations(64, seed=3)
    assert torch.equal(again.images, scenes.images) and again.captions == scenes.captions
    assert not torch.equal(make_relations(64, seed=4).images, scenes.images)


def test_each_caption_says_what_the_geometry_shows(scenes):
    a = scenes.attributes
    dx, dy = a["x_a"] - a["x_b"], a["y_a"] - a["y_b"]
    rel = a["relation"]
    assert (dx[rel == 0] < 0).all() and (dx[rel == 1] > 0).all()   # left of / right of
    assert (dy[rel == 2] < 0).all() and (dy[rel == 3] > 0).all()   # above / below (y down)
    horizontal = rel < 2
    assert (dx[horizontal].abs() > dy[horizontal].abs()).all()
    assert (dy[~horizontal].abs() > dx[~horizontal].abs()).all()
    assert (a["shape_a"] != a["shape_b"]).all() and (a["colour_a"] != a["colour_b"]).all()
    for caption, r in zip(scenes.captions, rel.tolist()):
        assert scenes.class_names[r] in caption


def test_swapped_captions_keep_the_words_and_change_the_meaning(scenes):
    negatives = binding_negatives(scenes)
    assert set(negatives) == set(SWAP_KINDS)
    for kind, captions in negatives.items():
        for true, false in zip(scenes.captions, captions):
            assert false != true
            if kind != "relation":   # relation: "left" -> "right", one word changes
                assert sorted(false.split()) == sorted(true.split())
    # the relation and the objects swaps are the scene read from the other object: each is
    # the other's converse, so their words match
    for rel, obj in zip(negatives["relation"], negatives["objects"]):
        assert len(rel.split()) == len(obj.split())


def test_swapped_captions_need_a_relations_set():
    from mmcl_lite.data import make_shapes
    with pytest.raises(ValueError, match="data: expected a relations set"):
        binding_negatives(make_shapes(4))


def test_fusion_encoder_attends_and_ignores_padding():
    torch.manual_seed(0)
    enc = FusionEncoder(width=16, layers=2, heads=2).eval()
    text, image = torch.randn(2, 5, 16), torch.randn(2, 9, 16)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    fused, weights = enc(text, mask, image, need_weights=True)
    assert fused.shape == (2, 5, 16) and len(weights) == 2 and weights[0].shape == (2, 5, 9)
    torch.testing.assert_close(weights[0].sum(-1), torch.ones(2, 5))
    changed = text.clone()
    changed[0, 3:] = 100.0  # what stands in the padding must not reach the real tokens
    again, _ = enc(changed, mask, image)
    torch.testing.assert_close(again[0, :3], fused[0, :3])


def test_fusion_step_trains_every_part(scenes, fusion):
    fusion.train()
    batch = {k: v[:16] for k, v in fusion.batch_fields(scenes).items()}
    assert batch["swap_input_ids"].shape[:2] == (16, len(SWAP_KINDS))
    out = fusion.training_step(batch)
    assert all(torch.isfinite(out[k]) for k in ("loss", "itc", "itm", "mlm"))
    out["loss"].backward()
    for name in ("encoder", "patches", "text_tower", "fusion", "itm_head", "mlm_head",
                 "image_proj", "text_proj"):
        grads = [p.grad for p in getattr(fusion, name).parameters() if p.requires_grad]
        assert any(g is not None and float(g.abs().sum()) > 0 for g in grads), name
    fusion.zero_grad()


def test_fusion_without_swap_negatives_reads_no_swapped_captions(scenes):
    model = Fusion.for_data(scenes, seed=0, width=32, heads=2, swap_negatives=False)
    assert "swap_input_ids" not in model.batch_fields(scenes)


def test_fusion_rebuilds_from_its_config_with_the_same_outputs(scenes, fusion):
    fusion.eval()
    copy = Fusion.from_config(fusion.config)
    copy.load_state_dict(fusion.state_dict())
    copy.eval()
    images, captions = scenes.images[:4], scenes.captions[:4]
    torch.testing.assert_close(copy.match_probability(images, captions),
                               fusion.match_probability(images, captions))


def test_fusion_refuses_bad_input(scenes, fusion):
    batch = {k: v[:4] for k, v in fusion.batch_fields(scenes).items()}
    batch["input_ids"] = batch["input_ids"][:3]
    with pytest.raises(ValueError, match="batch: expected exactly one caption per image"):
        fusion.training_step(batch)
    with pytest.raises(ValueError, match="mask_prob: expected a finite number in"):
        Fusion.for_data(scenes, mask_prob=1.0)
    with pytest.raises(ValueError, match="captions: expected one caption per image"):
        fusion.match_probability(scenes.images[:3], scenes.captions[:2])
    with pytest.raises(ValueError, match="images: expected images whose feature map is 4x4"):
        fusion.match_probability(torch.zeros(1, 3, 48, 48, dtype=torch.uint8), ["a red circle"])


def test_a_caption_longer_than_the_tower_is_cut_with_a_warning(scenes, fusion):
    long = " ".join(["a small red circle left of"] * 6)
    with pytest.warns(UserWarning, match="truncated"):
        p = fusion.match_probability(scenes.images[:1], [long])
    assert p.shape == (1,)


class _Oracle:
    """A stand-in model that knows the truth: probability 1 for true captions, 0 otherwise."""

    def __init__(self, data):
        self.data = data

    def match_probability(self, images, captions):
        rows = [int((self.data.images == img).flatten(1).all(1).nonzero()[0]) for img in images]
        return torch.tensor([float(self.data.captions[r] == c) for r, c in zip(rows, captions)])


def test_binding_accuracy_is_one_for_a_model_that_knows_and_half_for_one_that_guesses(scenes):
    perfect = binding_accuracy(_Oracle(scenes), scenes, "itm")
    assert perfect == {"colours": 1.0, "relation": 1.0, "objects": 1.0, "mean": 1.0}

    class Constant:
        def match_probability(self, images, captions):
            return torch.full((len(captions),), 0.5)

    assert binding_accuracy(Constant(), scenes, "itm")["mean"] == 0.5  # ties count half


def test_binding_accuracy_by_cosine_needs_no_matching_head(scenes):
    clip = CLIP.for_data(scenes, seed=0, text_width=32, text_heads=2, embed_dim=16)
    out = binding_accuracy(clip, scenes, "auto")
    assert set(out) == {*SWAP_KINDS, "mean"} and all(0 <= v <= 1 for v in out.values())
    with pytest.raises(ValueError, match="scorer: expected 'cosine' for a dual encoder"):
        binding_accuracy(clip, scenes, "itm")


def test_reranking_and_masked_words_give_fractions(scenes, fusion):
    fusion.eval()
    out = rerank_retrieval(fusion, scenes, top=5, max_items=32)
    assert set(out) == {"dual", "reranked"}
    for rows in out.values():
        assert all(0 <= v <= 1 for v in rows.values())
    # re-ranking only reorders the top 5: R@10 cannot change
    assert out["dual"]["i2t_R@10"] == out["reranked"]["i2t_R@10"]
    words = masked_word_accuracy(fusion, scenes, max_items=16)
    assert set(words) == {"colour", "shape", "size", "relation"}


def test_cross_modal_series_encoder_reads_two_unaligned_streams():
    enc = CrossModalSeriesEncoder(in_channels=6, width=16, heads=2, stride_b=2)
    x = torch.randn(3, 6, 40)
    assert enc(x).shape == (3, enc.feature_dim)
    assert enc.cross_attention(x).shape == (3, 40, 20)
    with pytest.raises(ValueError, match="series: expected a"):
        enc(torch.randn(3, 5, 40))


def test_bench_fusion_prints_its_table_and_saves_what_load_bench_reads(tmp_path, capsys):
    from mmcl_lite.apps.bench_fusion import MODELS, bench_fusion, load_bench

    result = bench_fusion([0], progress=False, save=tmp_path / "bench.json")  # FAST budget
    out = capsys.readouterr().out
    assert "Swapped-binding test" in out and "fusion, ITM head" in out
    assert set(result["runs"][0]) == set(MODELS)
    assert load_bench(tmp_path / "bench.json")["table"] == result["table"]
    with pytest.raises(ValueError, match="path: expected a bench fusion JSON file"):
        load_bench(tmp_path / "missing.json")
