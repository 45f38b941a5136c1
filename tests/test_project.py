"""Project hygiene: environments agree, notebooks are committed clean, layering holds."""
import json
import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _packages(path):
    env = yaml.safe_load(path.read_text())
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return sorted(deps), sorted(pip)


# The one difference allowed between the two environment files: Binder has no GPU, so it takes
# torch and torchvision from conda-forge's CPU build (conda package, same version range) instead
# of pip's wheels, which are the CUDA build on Linux.
_BINDER_CPU_CONDA = {"torch": "pytorch-cpu", "torchvision": "torchvision"}


def _split(requirement):
    name = re.match(r"[A-Za-z0-9_.-]+", requirement).group()
    return name.lower(), requirement[len(name):]


def test_binder_environment_matches_root():
    root, binder = ROOT / "environment.yml", ROOT / "binder" / "environment.yml"
    channels = [yaml.safe_load(path.read_text())["channels"] for path in (root, binder)]
    assert channels[0] == channels[1]
    root_conda, root_pip = _packages(root)
    binder_conda, binder_pip = _packages(binder)
    torch_pip = [r for r in root_pip if _split(r)[0] in _BINDER_CPU_CONDA]
    assert sorted(_split(r)[0] for r in torch_pip) == sorted(_BINDER_CPU_CONDA), root_pip
    cpu_conda = [_BINDER_CPU_CONDA[name] + spec for name, spec in map(_split, torch_pip)]
    assert binder_conda == sorted(root_conda + cpu_conda)
    assert binder_pip == [r for r in root_pip if r not in torch_pip]


def test_binder_postbuild_is_strict():
    text = (ROOT / "binder" / "postBuild").read_text()
    assert "set -e" in text


def test_notebooks_committed_without_outputs():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks, "no notebooks found"
    for nb_path in notebooks:
        nb = json.loads(nb_path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell.get("outputs") == [], f"{nb_path.name} has outputs"
                assert cell.get("execution_count") is None, f"{nb_path.name} has counts"
        assert set(nb["metadata"]) <= {"kernelspec", "language_info"}, nb_path.name
