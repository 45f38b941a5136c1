"""The model zoo: shipped runs load, match their recipes and their recorded numbers; a
tampered, truncated or pickled artifact is refused and nothing in it runs."""
import json
import os
import pickle

import pytest
import torch

from mmcl_lite import evaluate, zoo
from mmcl_lite.data import make_shapes
from mmcl_lite.methods import SimCLR
from mmcl_lite.train import fit
from mmcl_lite.zoo.store import save_run


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("zoo")
    data = make_shapes(48, image_size=16)
    method = SimCLR(proj_dim=8, proj_hidden=16, image_size=16, seed=0)
    history = fit(method, data, epochs=2, batch_size=16, progress=False,
                  snapshot_data=data.subset(slice(0, 10)))
    save_run(root / "tiny", method, history, {"results": {"SimCLR": {"linear": 0.5}}})
    return root, method, history


def test_a_saved_run_loads_back_exactly(tiny_run):
    root, method, history = tiny_run
    loaded, loaded_history = zoo.load("tiny", root=root)
    assert type(loaded) is SimCLR and loaded.config == method.config
    for (k, a), b in zip(method.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b), k
    assert loaded_history.steps == history.steps and loaded_history.epochs == history.epochs
    assert [e for e, _ in loaded_history.snapshots] == [0, 1, 2]
    torch.testing.assert_close(loaded_history.snapshots[-1][1], history.snapshots[-1][1],
                               rtol=1e-3, atol=1e-3)   # stored as float16
    assert zoo.info("tiny", root=root)["results"] == {"SimCLR": {"linear": 0.5}}


def test_unknown_names_list_what_there_is(tiny_run):
    with pytest.raises(ValueError, match=r"^name: expected one of the zoo's runs \['tiny'\]"):
        zoo.load("tinny", root=tiny_run[0])
    with pytest.raises(ValueError, match="^name"):
        zoo.load("no-such-run")


def test_a_run_is_never_overwritten_unless_asked(tiny_run):
    root, method, history = tiny_run
    with pytest.raises(ValueError, match="^folder"):
        save_run(root / "tiny", method, history, {})


def _copy(src, dst):
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())


class _Exploit:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("damage", ["truncate", "flip", "pickle", "pickle+hash", "json"])
def test_damaged_artifacts_are_refused(tiny_run, tmp_path, damage):
    root = tiny_run[0]
    _copy(root / "tiny", tmp_path / "tiny")
    weights = tmp_path / "tiny" / "weights.safetensors"
    exploit = _Exploit()
    exploit.marker = tmp_path / "pwned"
    if damage == "truncate":
        weights.write_bytes(weights.read_bytes()[:100])
    elif damage == "flip":
        data = bytearray(weights.read_bytes())
        data[-1] ^= 1
        weights.write_bytes(bytes(data))
    elif damage.startswith("pickle"):
        weights.write_bytes(pickle.dumps({"encoder": exploit}))
        if damage == "pickle+hash":  # the attacker also rewrites the recorded hash
            import hashlib
            run = tmp_path / "tiny" / "run.json"
            record = json.loads(run.read_text())
            record["sha256"]["weights.safetensors"] = hashlib.sha256(
                weights.read_bytes()).hexdigest()
            run.write_text(json.dumps(record))
    else:
        (tmp_path / "tiny" / "run.json").write_text("{not json")
    with pytest.raises(ValueError, match="^artifact: expected"):
        zoo.load("tiny", root=tmp_path)
    assert not exploit.marker.exists()


@pytest.mark.parametrize("name", zoo.names())
def test_shipped_runs_match_their_recipe_and_their_numbers(name):
    """Config equal to what the recipe builds today; re-evaluated on regenerated data, within
    0.5 points of the recorded linear-probe and kNN accuracy."""
    method, history = zoo.load(name)
    record = zoo.info(name)
    fresh = zoo.build(name)
    assert json.loads(json.dumps(fresh.config)) == record["config"]
    assert history.status == "completed"
    train, test = zoo.recipe_data(name)
    got = evaluate.evaluate_method(method, train, test)
    want = record["results"][record["class"]]
    for metric in ("linear", "knn"):
        assert abs(got[metric] - want[metric]) <= 0.005, (metric, got, want)


def test_every_recipe_ships():
    assert set(zoo.names()) == set(zoo.RECIPES)
