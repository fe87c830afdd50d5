"""The Gradio app: driven through gradio_client, and painted on in a real headless Chromium (Playwright)."""

from __future__ import annotations

import re
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

gr = pytest.importorskip("gradio")
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

from pmrf_lightning.app import build_app, make_handler, painted_hole  # noqa: E402

WIDTH, HEIGHT = 128, 96  # small: the tiny generator still takes ~1 s a photo on 2 CPU cores
# root in CI needs no sandbox; WebGL (the editor's canvas is PixiJS) on the CPU through SwiftShader
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--use-angle=swiftshader",
                 "--enable-unsafe-swiftshader", "--no-first-run"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, tiny_generator, save_tiny_checkpoint):
    """The app on the tiny checkpoint, a smooth photo (no white: the editor's canvas is white) and a mask."""
    folder = tmp_path_factory.mktemp("app")
    checkpoint = save_tiny_checkpoint(tiny_generator, folder / "m.ckpt")
    rng = np.random.default_rng(0)
    small = Image.fromarray(rng.integers(16, 224, (6, 8, 3), dtype=np.uint8))
    photo = np.asarray(small.resize((WIDTH, HEIGHT), Image.BICUBIC))
    Image.fromarray(photo).save(folder / "photo.png")
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[30:55, 40:85] = 255
    Image.fromarray(mask).save(folder / "mask.png")
    port = free_port()
    app = build_app(checkpoint, "cpu")
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", folder, photo, mask
    app.close()


def read_rgb(path: str | Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_inpaint_through_gradio_client(served) -> None:
    url, folder, photo, mask = served
    client = Client(url, verbose=False)
    editor = {"background": handle_file(str(folder / "photo.png")), "layers": [], "composite": None}
    results = {}
    for blend in ("poisson", "none"):
        result_path, (before, after), status = client.predict(
            editor, handle_file(str(folder / "mask.png")), "crop", blend, 0, api_name="/inpaint"
        )
        results[blend] = read_rgb(result_path)
        assert results[blend].shape == photo.shape and f"blend {blend}" in status
        assert np.array_equal(read_rgb(before), photo) and np.array_equal(read_rgb(after), results[blend])
        known = mask == 0
        assert np.array_equal(results[blend][known], photo[known])
    assert not np.array_equal(results["poisson"], results["none"])
    # dilate grows the hole: pixels beyond the mask change, none beyond the grown mask
    result_path, _, status = client.predict(
        editor, handle_file(str(folder / "mask.png")), "crop", "none", 4, api_name="/inpaint"
    )
    changed = (read_rgb(result_path) != photo).any(axis=-1)
    assert changed[mask == 0].any() and not changed[:26].any() and not changed[59:].any()


def test_mask_without_hole_shows_the_note(served) -> None:
    url, folder, photo, _ = served
    Image.new("L", (WIDTH, HEIGHT)).save(folder / "empty.png")
    editor = {"background": handle_file(str(folder / "photo.png")), "layers": [], "composite": None}
    result_path, _, status = Client(url, verbose=False).predict(
        editor, handle_file(str(folder / "empty.png")), api_name="/inpaint"
    )
    assert status == "the mask has no hole; the image is returned unchanged"
    assert np.array_equal(read_rgb(result_path), photo)


def test_unreadable_masks_end_in_one_line_errors(served) -> None:
    url, folder, _, _ = served
    client = Client(url, verbose=False)
    editor = {"background": handle_file(str(folder / "photo.png")), "layers": [], "composite": None}
    (folder / "notes.txt").write_text("not a mask\n")
    (folder / "broken.png").write_text("not a PNG either\n")
    Image.new("L", (40, 30)).save(folder / "small.png")
    for name, expected in [("notes.txt", "Invalid file type"), ("broken.png", "cannot read mask broken.png"),
                           ("small.png", "mask is 40×30 but image is 128×96")]:  # fmt: skip
        with pytest.raises(AppError) as error:
            client.predict(editor, handle_file(str(folder / name)), api_name="/inpaint")
        message = str(error.value)
        assert expected in message and "\n" not in message.strip() and "Traceback" not in message


def test_a_bad_checkpoint_makes_every_click_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "bad.ckpt").write_text("not a checkpoint")
    handle = make_handler(tmp_path / "bad.ckpt", "cpu")
    with pytest.raises(gr.Error) as error:
        handle({"background": np.zeros((16, 16, 3), np.uint8), "layers": []}, None)
    assert "\n" not in str(error.value.message)


def test_painted_layers_become_the_hole() -> None:
    layer = np.zeros((10, 12, 4), np.uint8)
    layer[2:5, 3:7, 3] = 255
    hole = painted_hole({"background": np.zeros((10, 12, 3)), "layers": [layer]})
    assert hole.sum() == 12 * 255 and painted_hole({"layers": [np.zeros((10, 12, 4), np.uint8)]}) is None


def distance_to_path(path: list[tuple[float, float]], shape: tuple[int, int]) -> np.ndarray:
    """Each pixel centre's distance to a polyline of (x, y) points in continuous photo coordinates."""
    ys, xs = np.mgrid[: shape[0], : shape[1]] + 0.5
    distance = np.full(shape, np.inf)
    for (x0, y0), (x1, y1) in zip(path[:-1], path[1:]):
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / (dx * dx + dy * dy), 0, 1)
        distance = np.minimum(distance, np.hypot(xs - x0 - t * dx, ys - y0 - t * dy))
    return distance


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
def test_paint_a_stroke_and_inpaint_in_chromium(served) -> None:
    """Set the brush size, upload, paint with the mouse, press Inpaint, fetch the PNGs the page shows:
    every pixel farther than the brush (+ 2.5 px of rasterisation) from the stroke is the photo's."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (.[dev])")
    url, folder, photo, _ = served
    radius = 5
    path = [(15.0, 20.0), (100.0, 45.0), (60.0, 80.0)]  # photo pixels, (x, y)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.set_default_timeout(60_000)
            page.goto(url)
            size = page.locator("#brush input[type=number]")
            with page.expect_response(lambda response: response.url.endswith("/run/predict")):
                size.fill(str(radius))
                size.press("Enter")  # the slider updates the editor's brush
            zoom = page.locator("#photo").get_by_text(re.compile(r"^\d+%$"))
            empty_zoom = zoom.inner_text()
            page.set_input_files("#photo input[type=file]", str(folder / "photo.png"))
            page.wait_for_function(
                "([element, before]) => element.innerText !== before", arg=[zoom.element_handle(), empty_zoom]
            )  # the photo is on the canvas, zoomed to fit (centred)
            scale = int(zoom.inner_text().rstrip("%")) / 100
            box = page.locator("#photo canvas").first.bounding_box()
            left = box["x"] + box["width"] / 2 - WIDTH * scale / 2
            top = box["y"] + box["height"] / 2 - HEIGHT * scale / 2
            points = [(left + x * scale, top + y * scale) for x, y in path]
            page.mouse.move(*points[0])
            page.mouse.down()
            for point in points[1:]:
                page.mouse.move(*point, steps=3)
            page.mouse.up()
            page.click("#inpaint")
            page.locator("#status").get_by_text("done:").wait_for()
            result_url = page.locator("#result img").get_attribute("src")
            before_url, after_url = (img.get_attribute("src") for img in page.locator("#compare img").all())
            served_png = {name: page.request.get(src).body() for name, src in
                          [("result", result_url), ("before", before_url), ("after", after_url)]}  # fmt: skip
        finally:
            browser.close()
    for name, png in served_png.items():
        (folder / f"served-{name}.png").write_bytes(png)
    result = read_rgb(folder / "served-result.png")
    assert result.shape == photo.shape
    assert np.array_equal(read_rgb(folder / "served-before.png"), photo)  # the editor sent the photo as is
    assert np.array_equal(read_rgb(folder / "served-after.png"), result)
    changed = (result != photo).any(axis=-1)
    distance = distance_to_path(path, changed.shape)
    outside = changed & (distance > radius + 2.5)
    assert not outside.any(), f"{outside.sum()} pixels away from the stroke changed"
    assert changed[distance < radius - 2].mean() > 0.8, "the stroke was not filled"
