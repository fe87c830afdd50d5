"""``pmrf-app``: a Gradio web app to remove objects from a photo with PRFN.

    pmrf-app --checkpoint model.ckpt            # then open http://127.0.0.1:7860

The page offers:

* a photo editor: upload or paste a photo, or pick one of the example photos (crops of the
  embedded validation set), and paint over what should go; a slider sets the brush size;
* an optional mask upload instead of painting (any image, white = hole);
* the hole's dilation (grow it by N pixels to cover an object's halo, or shrink it), the strategy
  for large photos and the blending (Poisson by default, or the raw fill);
* the result as a before/after slider over the photo, and as a PNG to download;
* a status line: the photo's size and the options that ran, or what to know (a mask without
  hole), and a one-line error for anything that cannot be used (an unreadable mask, a bad checkpoint).

The model is loaded once, as one ``Inpainter``. The click handler is served at the API name
``/inpaint`` (``gradio_client``): photo editor, mask, strategy, blend, dilate in; result PNG,
before/after pair and status out.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from .blending import BLENDS
from .imaging import DEVICES, InpaintingInputError, read_rgb
from .inference import STRATEGIES, Inpainter

EXAMPLES = Path(__file__).resolve().parent / "data" / "sample" / "val"
EXAMPLE_PHOTOS = ("Path_10", "Path_00", "ColorfulCups_00", "ColorfulCups_08", "Storm_00", "Storm_06")
BRUSH_COLOUR = "#ff3366"
BRUSH_SIZE = 16  # the brush's radius in photo pixels
DILATE_RANGE = (-8, 16)


def painted_hole(editor: dict | None) -> np.ndarray | None:
    """Hole mask (uint8, 255 = hole) from the brush layers of an ImageEditor value, or None."""
    if not editor or not editor.get("layers"):
        return None
    layers = [np.asarray(layer) for layer in editor["layers"] if layer is not None]
    painted = [
        (layer[..., 3] if layer.ndim == 3 and layer.shape[2] == 4 else layer.max(axis=-1)) > 0
        for layer in layers
    ]
    hole = np.any(painted, axis=0) if painted else None
    return hole.astype(np.uint8) * 255 if hole is not None and hole.any() else None


def brush(size: float) -> gr.Brush:
    """The editor's one brush (a fixed colour) with a radius of ``size`` photo pixels."""
    return gr.Brush(colors=[BRUSH_COLOUR], default_size=int(size), color_mode="fixed")


def set_brush_size(size: float) -> dict:
    """The slider's update of the editor's brush. Gradio has no property for the live brush size
    alone: this replaces the brush options (same colour, new default size), which the editor's
    frontend re-reads at once (Gradio 6), so the next stroke has the new size; strokes already
    painted keep theirs."""
    return gr.update(brush=brush(size))


def _one_line(error: Exception, path: str | None) -> str:
    """The error's message with Gradio's temporary folder left out of the mask's path."""
    message = str(error)
    return message.replace(path, Path(path).name) if path else message


def make_handler(checkpoint: Path | None, device: str):
    """The click handler, with one ``Inpainter`` built once (or the one-line reason it could not be)."""
    try:
        inpainter, problem = Inpainter(checkpoint, device), None
    except InpaintingInputError as error:
        inpainter, problem = None, str(error)

    def handle(
        editor: dict | None,
        mask: str | None,
        strategy: str = "crop",
        blend: str = "poisson",
        dilate: float = 0,
    ) -> tuple[Image.Image, tuple[Image.Image, Image.Image], str]:
        if problem is not None:
            raise gr.Error(problem)
        if not editor or editor.get("background") is None:
            raise gr.Error("upload a photo first")
        hole = mask if mask is not None else painted_hole(editor)
        if hole is None:
            raise gr.Error("paint over what to remove, or upload a mask")
        try:
            photo = read_rgb(editor["background"])
            result = inpainter(photo, hole, strategy=strategy, blend=blend, dilate=int(dilate))
        except InpaintingInputError as error:
            raise gr.Error(_one_line(error, mask)) from None
        width, height = result.image.size
        status = result.note or (
            f"done: {width}×{height}, strategy {result.strategy}, blend {blend}, "
            f"hole {100 * result.hole_fraction:.1f} % of the photo"
        )
        return result.image, (Image.fromarray(photo), result.image), status

    return handle


def build_app(checkpoint: Path | None = None, device: str = "auto") -> gr.Blocks:
    """The page (module docstring); ``checkpoint`` None is the shipped model."""
    with gr.Blocks(title="PRFN inpainting") as app:
        gr.Markdown(
            "## Remove objects with PRFN\n"
            "Paint over what to remove (or upload a mask, white = hole), then press *Inpaint*."
        )
        with gr.Row():
            with gr.Column():
                editor = gr.ImageEditor(
                    label="Photo (paint over what to remove)", type="numpy",
                    sources=["upload", "clipboard"], layers=False, transforms=(),
                    brush=brush(BRUSH_SIZE), eraser=gr.Eraser(default_size=BRUSH_SIZE),
                    format="png", height=440, elem_id="photo",
                )  # fmt: skip
                with gr.Row():
                    brush_size = gr.Slider(
                        2, 64, value=BRUSH_SIZE, step=1, label="Brush size (radius, pixels)", elem_id="brush"
                    )
                    dilate = gr.Slider(
                        *DILATE_RANGE, value=0, step=1, label="Grow the hole by (pixels, < 0 shrinks)",
                        elem_id="dilate",
                    )  # fmt: skip
                button = gr.Button("Inpaint", variant="primary", elem_id="inpaint")
            with gr.Column():
                compare = gr.ImageSlider(
                    label="Before / after (drag the handle)", type="pil", format="png", interactive=False,
                    elem_id="compare",
                )  # fmt: skip
                status = gr.Markdown(elem_id="status")
        gr.Examples(
            [[str(EXAMPLES / f"{name}.jpg")] for name in EXAMPLE_PHOTOS],
            inputs=[editor],
            label="Example photos (crops of the embedded validation set)",
        )
        with gr.Row():
            mask = gr.File(
                label="Mask (optional, instead of painting; white = hole)", file_types=["image"],
                type="filepath", elem_id="mask",
            )  # fmt: skip
            with gr.Column():
                strategy = gr.Radio(list(STRATEGIES), value="crop", label="Strategy for large photos")
                blend = gr.Radio(list(BLENDS), value="poisson", label="Blending of the fill into the photo")
            result = gr.Image(
                label="Result (PNG)", type="pil", format="png", interactive=False,
                buttons=["download", "fullscreen"], height=220, elem_id="result",
            )  # fmt: skip
        brush_size.change(
            set_brush_size, brush_size, editor, queue=False, show_progress="hidden", api_visibility="private"
        )
        button.click(
            make_handler(checkpoint, device),
            [editor, mask, strategy, blend, dilate],
            [result, compare, status],
            api_name="inpaint",
        )
    return app


def main(argv: list[str] | None = None) -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--device", default="auto", choices=DEVICES)
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--share", action="store_true", help="a public gradio.live link")
    args = parser.parse_args(argv)
    build_app(args.checkpoint, args.device).launch(server_port=args.port, share=args.share)


if __name__ == "__main__":
    main()
