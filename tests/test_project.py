"""Project hygiene: environments agree, notebooks are committed clean, layering holds."""
import ast
import json
import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _packages(path):
    env = yaml.safe_load(path.read_text())
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return sorted(deps), sorted(pip)


def test_binder_environment_matches_root():
    assert _packages(ROOT / "environment.yml") == _packages(ROOT / "binder" / "environment.yml")


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


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield (node.level, node.module or "")
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield (0, a.name)


def test_layering():
    """losses never import models/methods; nothing below viz imports matplotlib/ipywidgets at
    module level (viz is imported lazily by History.plot)."""
    lib = ROOT / "mmcl_lite"
    for path in (lib / "losses").glob("*.py"):
        for level, mod in _imports(path):
            assert not any(k in mod for k in ("models", "methods", "train")), (path, mod)
    for path in lib.rglob("*.py"):
        if "viz" in path.parts or path.name in ("demo.py", "bench_methods.py", "__main__.py"):
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level only
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(("matplotlib", "ipywidgets")), (path, name)
