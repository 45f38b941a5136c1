"""Real-browser test: the EmbeddingExplorer in JupyterLab with ipympl, driven by headless Chromium.

Starts JupyterLab on a free localhost port with a random token and a throw-away root, settings and
workspace directory; opens tests/ui/explorer_demo.ipynb in Debian's chromium through Playwright;
runs all cells; moves the epoch slider with the keyboard and clicks a point (ipympl) or types an
item number (the inline fallback, what Colab gets); checks that the figure's pixels and the
kernel-side state changed. Screenshots go to test-artifacts/ and the first, clustered ipympl frame
to docs/explorer.png (the README's picture) when MMCL_UPDATE_DOCS=1.

Run with ``make test-ui`` (which installs chromium and playwright: scripts/install-ui-deps.sh).
"""
from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.ui

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = Path(__file__).with_name("explorer_demo.ipynb")
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("MMCL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pixels(png: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")[..., :3]


def _changed_fraction(a: bytes, b: bytes) -> float:
    x, y = _pixels(a), _pixels(b)
    if x.shape != y.shape:
        return 1.0
    return float((np.abs(x - y).max(-1) > 0.05).mean())


def _wait(predicate, timeout, what, interval=0.5):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def sync_api():
    """Playwright's sync API, or a skip that says how to get it and chromium."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}: run scripts/install-ui-deps.sh (make test-ui "
                    "does) or set MMCL_CHROMIUM")
    return pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: run "
        "scripts/install-ui-deps.sh (make test-ui does)")


@pytest.fixture(scope="module")
def jupyterlab(sync_api, tmp_path_factory):
    """A JupyterLab server on a temp root holding the demo notebook in two variants (ipympl and
    inline backend); yields (url, token)."""
    ARTIFACTS.mkdir(exist_ok=True)
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root = tmp / "root"
    root.mkdir()
    notebook = json.loads(NOTEBOOK.read_text())
    for backend in ("widget", "inline"):
        for cell in notebook["cells"]:
            if "".join(cell["source"]).startswith("%matplotlib"):
                cell["source"] = [f"%matplotlib {backend}"]
        (root / f"explorer_demo_{backend}.ipynb").write_text(json.dumps(notebook))
    settings = tmp / "settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    # no news / update checks (offline), nothing to dismiss
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings") \
        .write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "JUPYTER_CONFIG_DIR": str(tmp / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env.pop("MPLBACKEND", None)
    env.pop("MMCL_FAST", None)  # a learner's kernel: in FAST mode the explorer shows a PNG only
    log = open(ARTIFACTS / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
         "--ServerApp.port_retries=0", f"--ServerApp.token={token}", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
         "--LabApp.news_url=", "--LabApp.extension_manager=readonly",
         "--ServerApp.terminals_enabled=False"]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    url = f"http://127.0.0.1:{port}"

    def up():
        if proc.poll() is not None:
            raise AssertionError(f"jupyter lab exited ({proc.returncode}); see "
                                 f"{ARTIFACTS / 'jupyterlab.log'}")
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        _wait(up, 90, "jupyter lab to start")
        yield url, token, tmp
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# JS: run code in the notebook's kernel and return what it printed (the kernel-side check).
_KERNEL_EXEC = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, silent: false, store_history: false});
  let out = '';
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') out += msg.content.text;
    if (msg.header.msg_type === 'error') out += 'ERROR ' + msg.content.evalue;
  };
  await future.done;
  return out;
}"""


@pytest.mark.parametrize("backend", ["widget", "inline"])
def test_explorer_in_jupyterlab(sync_api, jupyterlab, backend):
    url, token, tmp = jupyterlab
    started = time.monotonic()
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp / f"chromium-profile-{backend}"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000},
            device_scale_factor=1)
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(120_000)
        try:
            _drive(page, url, token, backend)
        finally:
            page.screenshot(path=str(ARTIFACTS / f"explorer-{backend}-page.png"))
            context.close()
    print(f"browser test ({backend}): {time.monotonic() - started:.1f}s in the browser")


def _kernel(page, code):
    out = page.evaluate(_KERNEL_EXEC, code)
    assert "ERROR" not in out, out
    return out.strip()


def _drive(page, url, token, backend):
    # a workspace per variant, so the other variant's notebook is not restored into this page
    page.goto(f"{url}/lab/workspaces/{backend}/tree/explorer_demo_{backend}.ipynb?token={token}")
    page.wait_for_function(
        "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " const k = w && w.sessionContext && w.sessionContext.session"
        " && w.sessionContext.session.kernel;"
        " return k && k.connectionStatus === 'connected' && k.status === 'idle'; }",
        timeout=120_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

    ui = page.locator(".mmcl-explorer").first
    ui.wait_for(state="visible", timeout=180_000)
    view = ui.locator(".jupyter-matplotlib-canvas-div" if backend == "widget"
                      else ".widget-output").first
    view.wait_for(state="visible")
    # the view is drawn once the first frame arrives from the kernel: wait for real content
    _wait(lambda: _pixels(view.screenshot()).std() > 0.05, 60, "the figure to be drawn")
    time.sleep(1.0)  # let the neighbour panel's redraw land too
    before = view.screenshot()
    shot = ARTIFACTS / f"explorer-{backend}-before.png"
    ui.screenshot(path=str(shot))
    interactive = backend == "widget"
    assert _kernel(page, "print(explorer.epoch == history.snapshots[-1][0], "
                         "explorer._interactive)") == f"True {interactive}"
    if interactive and os.environ.get("MMCL_UPDATE_DOCS") == "1":  # refresh the README picture
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copy(shot, REPO / "docs" / "explorer.png")

    # move the epoch slider with the keyboard: Home -> the first snapshot (epoch 0)
    handle = ui.locator(".widget-slider .noUi-handle").first
    handle.focus()
    page.keyboard.press("Home")
    readout = ui.locator(".widget-slider .widget-readout").first
    _wait(lambda: readout.inner_text().strip() == "0", 30, "the slider readout to read 0")
    after = _wait(lambda: (lambda png: png if _changed_fraction(before, png) > 0.01 else None)(
        view.screenshot()), 60, "the plot to change after moving the slider")
    ui.screenshot(path=str(ARTIFACTS / f"explorer-{backend}-after-slider.png"))
    assert _kernel(page, "print(explorer.epoch)") == "0"
    assert _changed_fraction(before, after) > 0.01

    time.sleep(1.0)
    before_select = view.screenshot()
    if interactive:
        # click an isolated point on the map: the neighbour panel shows that item
        target = json.loads(_kernel(page, """
import json, numpy as np
explorer.figure.canvas.draw()
xy = explorer.ax.transData.transform(explorer.projected())
d = np.linalg.norm(xy[:, None] - xy[None], axis=-1) + np.eye(len(xy)) * 1e9
j = int(np.argmax(d.min(1)))
w, h = explorer.figure.canvas.get_width_height()
print(json.dumps({"item": int(explorer.shown[j]), "x": float(xy[j, 0]), "y": float(xy[j, 1]),
                  "w": w, "h": h}))
"""))
        box = view.bounding_box()
        px = box["x"] + target["x"] * box["width"] / target["w"]
        py = box["y"] + (target["h"] - target["y"]) * box["height"] / target["h"]
        page.mouse.click(px, py)
        item = target["item"]
    else:
        # inline: no clicks reach the figure, so an item box stands in for them
        item = 12
        box = ui.locator("input[type=number]").first
        box.fill(str(item))
        box.press("Enter")
    _wait(lambda: _kernel(page, "print(explorer.panel['index'])") == str(item), 30,
          f"item {item} to be selected")
    _wait(lambda: _changed_fraction(before_select, view.screenshot()) > 0.002, 30,
          "the neighbour panel to redraw")
    ui.screenshot(path=str(ARTIFACTS / f"explorer-{backend}-after-select.png"))
