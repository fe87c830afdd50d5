"""Every bad input a user or an adversary gives ``pmrf-inpaint`` and ``inpaint()``: one line, never a
traceback, never a half-written or overwritten file; or a result with a one-line note."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from pmrf_lightning import imaging
from pmrf_lightning.cli.inpaint import main as inpaint_main
from pmrf_lightning.imaging import PARTIAL
from pmrf_lightning.inference import Inpainter, InpaintingInputError, inpaint
from pmrf_lightning.models import PRFNGenerator

TINY = {"width": 4, "blocks_per_stage": 1}  # the arguments of conftest.tiny_generator

HEIGHT, WIDTH = 40, 48


def photo(height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.asarray(
        Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)).resize((width, height))
    )


def hole_mask(height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    mask[10:20, 12:30] = 255
    return mask


def write_checkpoint(
    path: Path,
    generator: PRFNGenerator,
    arguments: dict | None = None,
    poison: bool = False,
    image_size: int | None = None,
) -> Path:
    state = {f"net_g.{k}": v.clone() for k, v in generator.state_dict().items()}
    if poison:
        first = next(k for k, v in state.items() if v.is_floating_point())
        state[first].view(-1)[0] = float("nan")
    hyper_parameters = {"generator": arguments or dict(TINY), "image_size": image_size}
    torch.save({"hyper_parameters": hyper_parameters, "state_dict": state}, path)
    return path


@pytest.fixture
def workspace(tmp_path: Path, tiny_generator: PRFNGenerator) -> Path:
    """photo.png, mask.png, a good checkpoint and folders images/ and masks/ with two pairs."""
    Image.fromarray(photo()).save(tmp_path / "photo.png")
    Image.fromarray(hole_mask()).save(tmp_path / "mask.png")
    write_checkpoint(tmp_path / "good.ckpt", tiny_generator)
    (tmp_path / "images").mkdir(), (tmp_path / "masks").mkdir()
    for name in ("a", "b"):
        Image.fromarray(photo()).save(tmp_path / "images" / f"{name}.png")
        Image.fromarray(hole_mask()).save(tmp_path / "masks" / f"{name}.png")
    return tmp_path


def bomb(path: Path) -> None:
    """A small PNG that decodes to 200 megapixels."""
    Image.new("1", (20000, 10000)).save(path)


# Each case: prepares the workspace, returns argv; then the exit status and the one stderr line.
Case = Callable[[Path, PRFNGenerator], list[str]]


def single(
    image: str = "photo.png", mask: str = "mask.png", out: str = "out.png", ckpt: str = "good.ckpt"
) -> Callable[[Path], list[str]]:
    return lambda w: ["--image", str(w / image), "--mask", str(w / mask), "--out", str(w / out),
                      "--checkpoint", str(w / ckpt), "--device", "cpu"]  # fmt: skip


def folder(images: str = "images", masks: str = "masks", out: str = "out") -> Callable[[Path], list[str]]:
    return lambda w: ["--images", str(w / images), "--masks", str(w / masks), "--out", str(w / out),
                      "--checkpoint", str(w / "good.ckpt"), "--device", "cpu"]  # fmt: skip


def text_file(name: str) -> Callable[[Path, PRFNGenerator], None]:
    return lambda w, g: (w / name).write_text("hello, not an image\n")


def truncated(w: Path, g: PRFNGenerator) -> None:
    Image.fromarray(photo(400, 400)).save(w / "cut.jpg", quality=95)
    data = (w / "cut.jpg").read_bytes()
    (w / "cut.jpg").write_bytes(data[: len(data) // 3])


def checkpoint(
    arguments: dict | None = None, poison: bool = False, image_size: int | None = None
) -> Callable[[Path, PRFNGenerator], None]:
    return lambda w, g: write_checkpoint(w / "bad.ckpt", g, arguments, poison, image_size)


def raw_checkpoint(content: object) -> Callable[[Path, PRFNGenerator], None]:
    return lambda w, g: torch.save(content, w / "bad.ckpt")


def saved(name: str, array: np.ndarray) -> Callable[[Path, PRFNGenerator], None]:
    return lambda w, g: Image.fromarray(array).save(w / name)


def nothing(w: Path, g: PRFNGenerator) -> None:
    pass


def third_image(write: Callable[[Path], None]) -> Callable[[Path, PRFNGenerator], None]:
    """images/c.png written by ``write``, with a good mask beside it."""
    return lambda w, g: (
        write(w / "images" / "c.png"),
        Image.fromarray(hole_mask()).save(w / "masks" / "c.png"),
    )


CLI_CASES = {
    # name: (prepare, argv, exit status, the one stderr line matches)
    "image missing": (
        nothing,
        single(image="nope.png"),
        1,
        r"^error: nope.png: cannot read image .*No such file",
    ),
    "mask missing": (
        nothing,
        single(mask="nope.png"),
        1,
        r"^error: photo.png: cannot read mask .*No such file",
    ),
    "image is text": (text_file("t.png"), single(image="t.png"), 1, r"^error: t.png: .*not an image file"),
    "mask is text": (
        text_file("t.png"),
        single(mask="t.png"),
        1,
        r"^error: photo.png: cannot read mask .*not an image",
    ),
    "truncated jpeg": (truncated, single(image="cut.jpg"), 1, r"^error: cut.jpg: cannot read image"),
    "bomb image": (lambda w, g: bomb(w / "b.png"), single(image="b.png"), 1, r"^error: b.png: .*89 MP limit"),
    "bomb mask": (
        lambda w, g: bomb(w / "b.png"),
        single(mask="b.png"),
        1,
        r"^error: photo.png: mask .*89 MP limit",
    ),
    "mask size differs": (
        saved("m.png", hole_mask(32, 48)),
        single(mask="m.png"),
        1,
        r"mask is 48×32 but image is 48×40",
    ),
    "image too small": (
        lambda w, g: (saved("s.png", photo(4, 4))(w, g), saved("sm.png", hole_mask(4, 4))(w, g)),
        single(image="s.png", mask="sm.png"),
        1,
        r"both sides need 8\+",
    ),
    "image is the mask": (
        nothing,
        single(mask="photo.png"),
        1,
        r"both .*photo.png: the photo would be its own mask",
    ),
    "images are the masks": (
        nothing,
        folder(masks="images"),
        1,
        r"are both .*images: every photo would be its own mask",
    ),
    "a format that is not faithful": (
        nothing,
        single(out="r.gif"),
        1,
        r"^error: cannot write r.gif: use .png",
    ),
    "a format Pillow cannot write RGB in": (nothing, single(out="r.blp"), 1, r"^error: cannot write r.blp"),
    "out of folder mode is a file": (
        nothing,
        folder(out="photo.png"),
        1,
        r"--out .*photo.png is a file, not a folder",
    ),
    "out below a file": (
        nothing,
        single(out="photo.png/r.png"),
        1,
        r"^error: --out .*photo.png is a file, not a folder",
    ),
    "outputs that differ only in case": (
        saved("images/A.png", photo()),
        folder(),
        1,
        r"^error: A.png, a.png would write one output name",
    ),
    "a hole dilated away": (
        nothing,
        lambda w: [*single()(w), "--dilate=-100"],
        0,
        r"^note: .*dilate=-100 shrank the hole away",
    ),
    "a huge dilation": (
        nothing,
        lambda w: [*single()(w), "--dilate=1000000"],
        0,
        r"^note: .*covers the whole image",
    ),
    "a LAB mask": (
        lambda w, g: Image.new("LAB", (WIDTH, HEIGHT)).save(w / "lab.tif"),
        single(mask="lab.tif"),
        1,
        r"^error: photo.png: cannot read a LAB mask",
    ),
    "unknown extension": (nothing, single(out="r.xyz"), 1, r"^error: cannot write r.xyz"),
    "no extension": (nothing, single(out="result"), 1, r"^error: cannot write result"),
    "out is the image": (nothing, single(out="photo.png"), 1, r"is an input; the result would overwrite it"),
    "out is the mask": (nothing, single(out="mask.png"), 1, r"is an input"),
    "out is a folder": (nothing, single(out="images"), 1, r"is a folder"),
    "checkpoint missing": (nothing, single(ckpt="none.ckpt"), 1, r"^error: checkpoint .* does not exist"),
    "checkpoint is text": (
        text_file("bad.ckpt"),
        single(ckpt="bad.ckpt"),
        1,
        r"is not a pmrf-train checkpoint",
    ),
    "unknown generator argument": (
        checkpoint({**TINY, "heads": 8}),
        single(ckpt="bad.ckpt"),
        1,
        r"does not know: \['heads'\]",
    ),
    "negative width": (checkpoint({**TINY, "width": -3}), single(ckpt="bad.ckpt"), 1, r"build no generator"),
    "absurd width": (
        checkpoint({**TINY, "width": 1_000_000}),
        single(ckpt="bad.ckpt"),
        1,
        r"do not fit the generator",
    ),
    "wrong type": (checkpoint({**TINY, "width": "wide"}), single(ckpt="bad.ckpt"), 1, r"build no generator"),
    "NaN weights": (checkpoint(poison=True), single(ckpt="bad.ckpt"), 1, r"NaN or infinite weights"),
    "a number among the weights": (
        raw_checkpoint({"hyper_parameters": {"generator": TINY}, "state_dict": {"net_g.x": 3}}),
        single(ckpt="bad.ckpt"),
        1,
        r"state_dict is not a set of tensors",
    ),
    "weights as a list": (
        raw_checkpoint({"hyper_parameters": {"generator": TINY}, "state_dict": [1, 2]}),
        single(ckpt="bad.ckpt"),
        1,
        r"state_dict is not a set of tensors",
    ),
    "generator arguments as text": (
        raw_checkpoint({"hyper_parameters": {"generator": "wide"}, "state_dict": {}}),
        single(ckpt="bad.ckpt"),
        1,
        r"no generator arguments",
    ),
    "image size 0": (
        checkpoint(image_size=0),
        single(ckpt="bad.ckpt"),
        1,
        r"records image_size 0; it must be an integer of at least 8",
    ),
    "checkpoint is a folder": (
        nothing,
        single(ckpt="images"),
        1,
        r"^error: checkpoint .*images is not a file",
    ),
    "weights of another size": (checkpoint({**TINY, "width": 8}), single(ckpt="bad.ckpt"), 1, r"do not fit"),
    "mask without hole": (
        saved("m.png", np.zeros((HEIGHT, WIDTH), np.uint8)),
        single(mask="m.png"),
        0,
        r"^note: photo.png: the mask has no hole",
    ),
    "all-hole mask": (
        saved("m.png", np.full((HEIGHT, WIDTH), 255, np.uint8)),
        single(mask="m.png"),
        0,
        r"^note: .*covers the whole image",
    ),
    "image without mask": (
        nothing,
        lambda w: ["--image", str(w / "photo.png"), "--out", str(w / "o.png")],
        2,
        r"give --image and --mask",
    ),
    "both modes": (
        nothing,
        lambda w: [*single()(w), "--images", str(w / "images")],
        2,
        r"give --image and --mask",
    ),
    "images folder missing": (nothing, folder(images="nope"), 1, r"nope is not a folder"),
    "masks is a file": (nothing, folder(masks="photo.png"), 1, r"photo.png is not a folder"),
    "empty folder": (
        lambda w, g: (w / "empty").mkdir(),
        folder(images="empty"),
        1,
        r"^error: no images .* in .*empty",
    ),
    "out is the images folder": (nothing, folder(out="images"), 1, r"is an input folder"),
    "out is the masks folder": (nothing, folder(out="masks"), 1, r"is an input folder"),
    "a mask is missing": (
        lambda w, g: (w / "masks" / "b.png").unlink(),
        folder(),
        1,
        r"^error: b.png: no mask named b\.\*",
    ),
    "two masks of one stem": (
        saved("masks/b.jpg", hole_mask()),
        folder(),
        1,
        r"^error: b.png: 2 masks named b\.\* .*b.jpg, b.png",
    ),
    "a text file among images": (
        third_image(lambda p: p.write_text("text")),
        folder(),
        1,
        r"^error: c.png: .*not an image file",
    ),
    "a bomb among images": (third_image(bomb), folder(), 1, r"^error: c.png: .*89 MP limit"),
    "a partial file left": (
        lambda w, g: (
            (w / "out").mkdir(),
            (w / "out" / f".a.png.1234{PARTIAL}").write_bytes(b"x"),
            os.utime(w / "out" / f".a.png.1234{PARTIAL}", (0, 0)),
        ),
        folder(),
        0,
        r"^note: removed 1 partial files",
    ),
}


@pytest.mark.parametrize("name", CLI_CASES)
def test_the_cli_answers_bad_input_in_one_line(
    name: str, workspace: Path, tiny_generator: PRFNGenerator, capsys: pytest.CaptureFixture
) -> None:
    prepare, argv, status, pattern = CLI_CASES[name]
    prepare(workspace, tiny_generator)
    inputs = {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()}
    assert inpaint_main(argv(workspace)) == status
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and re.search(pattern, lines[0]), lines
    assert not list(workspace.rglob(f"*{PARTIAL}")), "a partial file was left behind"
    for path, data in inputs.items():
        if PARTIAL not in path.name:
            assert path.read_bytes() == data, f"{path.name} was overwritten"
    if status != 0 and "--images" not in argv(workspace):
        assert not (workspace / "out.png").exists()


def test_a_bad_folder_item_leaves_the_others_written_and_the_summary_counts_the_disk(
    workspace: Path, tiny_generator: PRFNGenerator, capsys: pytest.CaptureFixture
) -> None:
    (workspace / "images" / "c.png").write_text("not an image")
    assert inpaint_main(folder()(workspace)) == 1
    assert sorted(p.name for p in (workspace / "out").iterdir()) == ["a.png", "b.png"]
    assert "wrote 2 of 3 images" in capsys.readouterr().out


def test_images_of_one_stem_are_written_apart(workspace: Path, capsys: pytest.CaptureFixture) -> None:
    Image.fromarray(photo()).save(workspace / "images" / "a.jpg")
    assert inpaint_main(folder()(workspace)) == 0
    assert sorted(p.name for p in (workspace / "out").iterdir()) == ["a.jpg.png", "a.png.png", "b.png"]
    assert "wrote 3 of 3 images" in capsys.readouterr().out


def test_the_output_extension_is_refused_before_the_model_is_loaded(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Inpainter, "__init__", lambda *a, **k: pytest.fail("the model was loaded"))
    assert inpaint_main(single(out="r.xyz")(workspace)) == 1


def test_outputs_follow_the_umask(workspace: Path) -> None:
    import os

    previous = os.umask(0o022)
    try:
        assert inpaint_main(single()(workspace)) == 0
    finally:
        os.umask(previous)
    assert (workspace / "out.png").stat().st_mode & 0o777 == 0o644


# --------------------------------------------------------------------------- inpaint() and Inpainter

API_CASES = {
    # name: (keyword arguments of inpaint() over the good photo and mask, message)
    "tensor image": ({"image": torch.zeros(3, HEIGHT, WIDTH)}, "image is a torch tensor"),
    "tensor mask": ({"mask": torch.zeros(HEIGHT, WIDTH)}, "mask is a torch tensor"),
    "list image": ({"image": [[0, 1]]}, "image must be a PIL image, a file path or a numpy array, got list"),
    "module as model": ({"model": torch.nn.Conv2d(3, 3, 1)}, "model must be a checkpoint path, None"),
    "number as model": ({"model": 3}, "got int"),
    "float image in 0-255": ({"image": photo().astype(np.float32)}, "must lie in [0, 1], this one spans [0"),
    "NaN image": ({"image": np.full((HEIGHT, WIDTH, 3), np.nan)}, "image has NaN or infinite values"),
    "int64 image": ({"image": photo().astype(np.int64)}, "image arrays must be uint8, uint16 or float"),
    "two-channel image": (
        {"image": np.zeros((HEIGHT, WIDTH, 2), np.uint8)},
        "must be (H, W), (H, W, 3) or (H, W, 4)",
    ),
    "int64 mask": (
        {"mask": hole_mask().astype(np.int64)},
        "mask arrays must be bool, uint8, uint16 or float",
    ),
    "float mask above 1": ({"mask": hole_mask().astype(np.float32)}, "float mask must lie in [0, 1]"),
    "4-D mask": ({"mask": np.zeros((HEIGHT, WIDTH, 2, 2))}, "2-D image"),
    "size 7": ({"size": 7}, "size must be an integer of at least 8, got 7"),
    "size 0.5": ({"size": 0.5}, "size must be an integer"),
    "resize_limit 0": (
        {"resize_limit": 0, "strategy": "resize"},
        "resize_limit must be an integer of at least 8",
    ),
    "unknown strategy": ({"strategy": "magic"}, "strategy must be one of crop, resize, original"),
    "unknown blend": ({"blend": "seamless"}, "blend must be one of poisson, none"),
    "unknown hole colour": ({"hole": "red"}, "hole must be 'white' or 'black'"),
    "fractional dilate": ({"dilate": 1.5}, "dilate must be an integer"),
    "negative crop margin": ({"crop_margin": -1}, "crop_margin must be a number in [0, 10]"),
    "boolean crop margin": ({"crop_margin": True}, "crop_margin must be a number in [0, 10]"),
    "empty float image": ({"image": np.zeros((0, 0, 3), np.float32)}, "image is empty"),
    "unknown device": ({"device": "tpu"}, "device must be one of auto, cpu, cuda, mps"),
    "missing image path": ({"image": "/nonexistent/photo.png"}, "cannot read image /nonexistent/photo.png"),
}


@pytest.mark.parametrize("name", API_CASES)
def test_inpaint_answers_bad_input_in_one_line(name: str, tiny_generator: PRFNGenerator) -> None:
    options, message = API_CASES[name]
    arguments = {"image": photo(), "mask": hole_mask(), "model": tiny_generator, "device": "cpu", **options}
    with pytest.raises(InpaintingInputError, match=re.escape(message)) as error:
        inpaint(**arguments)
    assert "\n" not in str(error.value)


def test_original_refuses_an_attention_map_that_cannot_fit(
    tiny_generator: PRFNGenerator, monkeypatch
) -> None:
    monkeypatch.setattr("pmrf_lightning.inference.free_memory", lambda device: 1000)
    with pytest.raises(InpaintingInputError, match=r"needs about .* GiB for the attention map of eq. 3"):
        inpaint(photo(), hole_mask(), tiny_generator, strategy="original", device="cpu")
    assert imaging.free_memory(torch.device("cpu")) > 2**20


def test_a_path_works_where_an_image_does(workspace: Path, tiny_generator: PRFNGenerator) -> None:
    by_path = inpaint(str(workspace / "photo.png"), workspace / "mask.png", tiny_generator, device="cpu")
    by_array = inpaint(photo(), hole_mask(), tiny_generator, device="cpu")
    assert np.array_equal(np.asarray(by_path), np.asarray(by_array))
