"""Learning with scarce pairs, beyond the splits (test_pairing.py): co-cluster positives against
a loop, UnpairedCLIP's co-clusters and image self-supervision, MIL-NCE on caption bags, a missing
caption at test time, and the unpaired bench."""
import dataclasses
import json
import math

import pytest
import torch

from mmcl_lite.data import make_shapes
from mmcl_lite.data.pairing import caption_bags, unpaired_set
from mmcl_lite.losses import cocluster_loss, cocluster_positives
from mmcl_lite.methods import CLIP, MILNCE, UnpairedCLIP
from mmcl_lite.train import fit

SMALL = dict(text_width=32, text_heads=2, embed_dim=16)


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(200, seed=1, image_size=16)


def test_cocluster_loss_matches_a_loop():
    torch.manual_seed(0)
    logits = torch.randn(5, 4)
    rows, cols = torch.tensor([0, 1, 1, 2, 9]), torch.tensor([1, 0, 2, 1])
    positives = cocluster_positives(rows, cols)
    assert positives.tolist()[0] == [False, True, False, False]

    def direction(s, p):
        terms = [-math.log(sum(math.exp(s[i][j]) for j in range(len(s[i])) if p[i][j])
                           / sum(math.exp(v) for v in s[i]))
                 for i in range(len(s)) if any(p[i])]
        return sum(terms) / len(terms)
    want = (direction(logits.tolist(), positives.tolist())
            + direction(logits.T.tolist(), positives.T.tolist())) / 2
    assert cocluster_loss(logits, positives).item() == pytest.approx(want, rel=1e-5)
    with pytest.raises(ValueError, match="positives: expected at least one positive pair"):
        cocluster_loss(logits, torch.zeros(5, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="positives: expected a bool tensor of shape"):
        cocluster_loss(logits, positives[:3])


@pytest.mark.parametrize("settings", [dict(unpaired_loss="coclusters", coclusters=3),
                                      dict(image_ssl_weight=0.5),
                                      dict(unpaired_loss="none")])
def test_unpaired_clip_variants_train_and_report(shapes, settings):
    data = unpaired_set(shapes, 0.1, seed=0)
    model = UnpairedCLIP.for_data(data, seed=0, pseudo_start=0.5, **SMALL, **settings)
    history = fit(model, data, epochs=4, batch_size=32, progress=False)
    last = history.steps[-1]
    assert all(math.isfinite(s["loss"]) for s in history.steps)
    if settings.get("unpaired_loss") == "none":
        assert "proposed" not in last and last["unpaired_loss"] == 0
    else:
        assert last["proposed"] > 0 and 0 <= last["precision"] <= 1
    assert ("ssl_loss" in last) == ("image_ssl_weight" in settings)
    rebuilt = UnpairedCLIP.from_config(model.config)
    rebuilt.load_state_dict(model.state_dict())   # the config rebuilds every part


def test_unpaired_clip_refuses_bad_settings(shapes):
    data = unpaired_set(shapes, 0.1, seed=0)
    with pytest.raises(ValueError, match="unpaired_loss: expected one of"):
        UnpairedCLIP.for_data(data, unpaired_loss="kmeans")
    with pytest.raises(ValueError, match="coclusters: expected an int >= 2"):
        UnpairedCLIP.for_data(data, coclusters=1)
    with pytest.raises(ValueError, match="image_ssl_weight: expected a finite number"):
        UnpairedCLIP.for_data(data, image_ssl_weight=-1.0)


def test_caption_bags_hold_the_own_caption_and_others(shapes):
    bags = caption_bags(shapes, 3, seed=0).caption_bags
    assert len(bags) == len(shapes) and {len(b) for b in bags} == {3}
    assert all(c in bag for c, bag in zip(shapes.captions, bags))
    places = {bag.index(c) for c, bag in zip(shapes.captions, bags)}
    assert places == {0, 1, 2}          # the true caption is not always first
    assert caption_bags(shapes, 3, seed=0).subset([4, 2]).caption_bags == [bags[4], bags[2]]
    with pytest.raises(ValueError, match="bag_size: expected an int >= 1"):
        caption_bags(shapes, 0)
    with pytest.raises(ValueError, match="caption_bags: expected one list of K >= 1"):
        dataclasses.replace(shapes, caption_bags=[["a"]] * (len(shapes) - 1) + [["a", "b"]])


@pytest.mark.parametrize("bag_loss", ["mil", "sample"])
def test_mil_nce_trains_on_bags_and_never_reads_the_true_captions(shapes, bag_loss):
    bags = caption_bags(shapes, 3, seed=0)
    model = MILNCE.for_data(bags, seed=0, bag_loss=bag_loss, **SMALL)
    fields = model.batch_fields(bags)
    assert fields["bag_ids"].shape[:2] == (len(shapes), 3) and "input_ids" not in fields
    history = fit(model, bags, epochs=2, batch_size=32, progress=False)
    assert all(math.isfinite(s["loss"]) for s in history.steps)
    assert model.encode_text(["a red circle"]).shape == (1, 16)
    assert model.batch_fields(shapes)["bag_ids"].shape[:2] == (len(shapes), 1)  # no bags
    from mmcl_lite.data import load_digits
    with pytest.raises(ValueError, match="data: expected image-caption pairs"):
        model.batch_fields(load_digits())
    with pytest.raises(ValueError, match="bag_loss: expected one of"):
        MILNCE.for_data(bags, bag_loss="max")


def test_a_missing_caption_is_filled_and_probed(shapes):
    from mmcl_lite.evaluation import fill_missing, missing_modality_report
    image, text = torch.ones(3, 2), 2 * torch.ones(3, 2)
    gone = torch.tensor([False, True, False])
    assert fill_missing(image, text, gone).tolist()[1] == [1, 1, 0, 0]
    assert fill_missing(image, text, gone, "image").tolist()[1] == [1, 1, 1, 1]
    with pytest.raises(ValueError, match="missing: expected shape \\(3,\\)"):
        fill_missing(image, text, gone[:2])
    train, test = shapes.split(0.25, seed=0)
    model = CLIP.for_data(train, seed=0, **SMALL)
    report = missing_modality_report(model, train, test, fractions=(0.0, 1.0))
    assert set(report) == {"no dropout", "modality dropout", "image fills the gap"}
    assert all(0 <= acc <= 1 for curve in report.values() for acc in curve.values())


def test_bench_unpaired_prints_its_tables_and_saves_what_load_bench_reads(tmp_path, capsys):
    from mmcl_lite.apps.bench_unpaired import FLOOR, PSEUDO, bench_unpaired, load_bench

    result = bench_unpaired([0], progress=False, save=tmp_path / "bench.json")  # FAST budget
    out = capsys.readouterr().out
    assert "of the training items paired" in out and "MIL-NCE, the bag" in out
    assert {FLOOR, PSEUDO} <= set(result["runs"][0]["fractions"]["0.05"])
    assert load_bench(tmp_path / "bench.json")["table"] == result["table"]
    with pytest.raises(ValueError, match="path: expected a bench unpaired JSON file"):
        load_bench(tmp_path / "missing.json")


def test_the_shipped_bench_matches_todays_recipe_and_shows_the_lift():
    """Notebook 10 loads this table: its budget is today's, and pseudo-pairs beat the floor on
    every seed (the claim the notebook asserts)."""
    from mmcl_lite.apps.bench_unpaired import FLOOR, PSEUDO, format_unpaired_table, load_bench
    from mmcl_lite.training.defaults import UNPAIRED
    result = load_bench()
    assert result["recipe"] == json.loads(json.dumps(UNPAIRED)) and result["seeds"] == [0, 1, 2]
    assert format_unpaired_table(result) == result["table"]
    for run in result["runs"]:
        rows = run["fractions"]["0.05"]
        for metric in (("zero_shot", "shape"), ("zero_shot", "colour"), ("retrieval", "i2t_R@5")):
            floor, pseudo = (rows[name][metric[0]][metric[1]] for name in (FLOOR, PSEUDO))
            assert pseudo > floor, metric


def test_pools_set_lays_out_your_own_pools_and_refuses_bad_ones(shapes):
    from mmcl_lite.data import load_digits
    from mmcl_lite.data.pairing import pools_set
    paired, pool = shapes.subset(slice(0, 10)), shapes.subset(slice(10, 110))
    captions = list(shapes.captions[110:200])
    data = pools_set(paired, pool, captions, paired_share=0.5)
    assert int((~data.paired).sum()) == 90 and data.captions[-90:] == captions
    assert abs(float(data.paired.float().mean()) - 0.5) < 0.1
    with pytest.raises(TypeError, match="images: expected a ImageSet of items shaped like"):
        pools_set(paired, captions, captions)
    with pytest.raises(ValueError, match="images: expected a ImageSet of items shaped like"):
        pools_set(paired, load_digits(), captions)
    with pytest.raises(ValueError, match="captions: expected a non-empty caption pool"):
        pools_set(paired, pool, [])
    with pytest.raises(TypeError, match="captions: expected a list of str"):
        pools_set(paired, pool, shapes.labels)
    with pytest.raises(ValueError, match="caption_labels: expected 90 items"):
        pools_set(paired, pool, captions, caption_labels=torch.zeros(3))


def test_a_batch_of_one_is_refused(shapes):
    data = unpaired_set(shapes, 0.1, seed=0)
    model = UnpairedCLIP.for_data(data, **SMALL)
    with pytest.raises(ValueError, match="batch: expected at least 2 rows"):
        fit(model, data, epochs=1, batch_size=1, progress=False)
