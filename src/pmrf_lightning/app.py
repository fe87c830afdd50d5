"""``pmrf-app``: a Gradio web app to remove objects from a photo with PRFN.

    pmrf-app --checkpoint model.ckpt            # then open http://127.0.0.1:7860

Upload a photo, paint over what should go (or upload a mask, hole = white), choose the strategy
and the blending (Poisson by default, or the raw fill) and press *Inpaint*; the result can be
downloaded as PNG. The same function is served at the API name ``/inpaint`` (``gradio_client``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from .inference import BLENDS, STRATEGIES, InpaintingInputError, inpaint, load_model, pick_device


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


def make_handler(checkpoint: Path | None, device: str):
    """The click handler, with the model loaded once (or the reason it could not be)."""
    try:
        model, problem = load_model(checkpoint, pick_device(device)), None
    except (FileNotFoundError, InpaintingInputError) as error:
        model, problem = None, str(error)

    def handle(
        editor: dict | None, mask: np.ndarray | None, strategy: str, blend: str
    ) -> tuple[Image.Image, str]:
        if problem is not None:
            raise gr.Error(problem)
        if not editor or editor.get("background") is None:
            raise gr.Error("upload a photo first")
        hole = mask if mask is not None else painted_hole(editor)
        if hole is None:
            raise gr.Error("paint over what to remove, or upload a mask")
        try:
            result = inpaint(editor["background"], hole, model, strategy=strategy, device=device, blend=blend)
        except InpaintingInputError as error:
            raise gr.Error(str(error)) from None
        return result, f"done: {result.width}×{result.height}, strategy {strategy}, blend {blend}"

    return handle


def build_app(checkpoint: Path | None = None, device: str = "auto") -> gr.Blocks:
    with gr.Blocks(title="PRFN inpainting") as app:
        gr.Markdown(
            "## Remove objects with PRFN\nPaint over what to remove, or upload a mask (white = hole)."
        )
        with gr.Row():
            editor = gr.ImageEditor(
                label="Photo", type="numpy", sources=["upload", "clipboard"], layers=False, transforms=(),
                brush=gr.Brush(colors=["#ff3366"], default_size=24, color_mode="fixed"),
            )  # fmt: skip
            mask = gr.Image(
                label="Mask (optional, white = hole)", type="numpy", image_mode="L", sources=["upload"]
            )
        with gr.Row():
            strategy = gr.Radio(list(STRATEGIES), value="crop", label="Strategy for large photos")
            blend = gr.Radio(list(BLENDS), value="poisson", label="Blending of the fill into the photo")
        button = gr.Button("Inpaint", variant="primary")
        result = gr.Image(label="Result", type="pil", format="png", interactive=False)
        status = gr.Markdown()
        handler = make_handler(checkpoint, device)
        button.click(handler, [editor, mask, strategy, blend], [result, status], api_name="inpaint")
    return app


def main(argv: list[str] | None = None) -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--share", action="store_true", help="a public gradio.live link")
    args = parser.parse_args(argv)
    build_app(args.checkpoint, args.device).launch(server_port=args.port, share=args.share)


if __name__ == "__main__":
    main()
