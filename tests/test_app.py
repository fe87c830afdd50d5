"""The Gradio app: driven through gradio_client, and looked at in headless Chromium."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

gr = pytest.importorskip("gradio")
from gradio_client import Client, handle_file  # noqa: E402

from pmrf_lightning.app import build_app, painted_hole  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, tiny_generator, save_tiny_checkpoint):
    folder = tmp_path_factory.mktemp("app")
    checkpoint = save_tiny_checkpoint(tiny_generator, folder / "m.ckpt")
    rng = np.random.default_rng(0)
    photo = np.asarray(Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)).resize((96, 80)))
    Image.fromarray(photo).save(folder / "photo.png")
    mask = np.zeros((80, 96), np.uint8)
    mask[20:50, 30:70] = 255
    Image.fromarray(mask).save(folder / "mask.png")
    port = free_port()
    app = build_app(checkpoint, "cpu")
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", folder, photo, mask
    app.close()


def test_inpaint_through_gradio_client(served) -> None:
    url, folder, photo, mask = served
    client = Client(url, verbose=False)
    editor = {"background": handle_file(str(folder / "photo.png")), "layers": [], "composite": None}
    results = {}
    for blend in ("poisson", "none"):
        result_path, status = client.predict(
            editor, handle_file(str(folder / "mask.png")), "crop", blend, api_name="/inpaint"
        )
        results[blend] = np.asarray(Image.open(result_path).convert("RGB"))
        assert results[blend].shape == photo.shape and f"blend {blend}" in status
        known = mask == 0
        assert np.array_equal(results[blend][known], photo[known])
    assert not np.array_equal(results["poisson"], results["none"])


def test_painted_layers_become_the_hole() -> None:
    layer = np.zeros((10, 12, 4), np.uint8)
    layer[2:5, 3:7, 3] = 255
    hole = painted_hole({"background": np.zeros((10, 12, 3)), "layers": [layer]})
    assert hole.sum() == 12 * 255 and painted_hole({"layers": [np.zeros((10, 12, 4), np.uint8)]}) is None


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
def test_the_page_renders_in_headless_chromium(served, tmp_path: Path) -> None:
    url = served[0]
    shot = tmp_path / "page.png"
    command = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,900",
               "--virtual-time-budget=8000", f"--screenshot={shot}", url]  # fmt: skip
    subprocess.run(command, capture_output=True, timeout=120)
    page = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)
    assert page.shape == (900, 1200) and page.std() > 10  # not a blank page
