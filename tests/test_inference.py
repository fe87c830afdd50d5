"""Inference for people: strategies keep known pixels bit-exact; bad input is one line; the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import pmrf_lightning
from pmrf_lightning import inference
from pmrf_lightning.blending import blend_holes, poisson_blend
from pmrf_lightning.cli.inpaint import main as inpaint_main
from pmrf_lightning.imaging import read_hole, read_rgb
from pmrf_lightning.inference import BLENDS, STRATEGIES, Inpainter, InpaintingInputError, inpaint
from pmrf_lightning.models import PRFNGenerator


@pytest.fixture(scope="module")
def model(tiny_generator: PRFNGenerator) -> PRFNGenerator:
    return tiny_generator


def photo(height: int = 90, width: int = 100, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8))
    return np.asarray(coarse.resize((width, height), Image.BICUBIC))


def two_holes(height: int = 90, width: int = 100) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    mask[10:30, 15:40] = 255
    mask[55:80, 60:95] = 255
    return mask


@pytest.mark.parametrize("blend", BLENDS)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_keeps_known_pixels_bit_exact(strategy: str, blend: str, model: PRFNGenerator) -> None:
    image, mask = photo(), two_holes()
    result = np.asarray(
        inpaint(image, mask, model, strategy=strategy, device="cpu", size=64, resize_limit=48, blend=blend)
    )
    assert result.shape == image.shape and result.dtype == np.uint8
    known = mask == 0
    assert np.array_equal(result[known], image[known])
    assert not np.array_equal(result[~known], image[~known])


def test_poisson_blend_uses_the_networks_fill_in_and_around_the_hole(model: PRFNGenerator) -> None:
    image, mask = photo(88, 96), two_holes(88, 96)
    hole = mask > 127
    raw = np.asarray(inpaint(image, mask, model, strategy="original", device="cpu", blend="none"))
    blended = np.asarray(inpaint(image, mask, model, strategy="original", device="cpu"))
    fill = Inpainter(model, "cpu")._run(image, hole)
    assert np.array_equal(raw[hole], fill[hole])
    expected = poisson_blend(image, fill, hole).clip(0, 255).round().astype(np.uint8)
    assert np.array_equal(blended, expected) and not np.array_equal(blended, raw)
    with pytest.raises(InpaintingInputError, match="blend must be one of poisson, none"):
        inpaint(image, mask, model, blend="seamless")


def test_the_package_exposes_inpaint(model: PRFNGenerator) -> None:
    result = pmrf_lightning.inpaint(
        Image.fromarray(photo()), Image.fromarray(two_holes()), model, device="cpu"
    )
    assert isinstance(result, Image.Image) and result.size == (100, 90)


def test_a_mask_without_hole_returns_the_image_and_an_all_hole_mask_runs(model: PRFNGenerator) -> None:
    image = photo()
    inpainter = Inpainter(model, "cpu")
    unchanged = inpainter(image, np.zeros((90, 100), np.uint8))
    assert np.array_equal(np.asarray(unchanged.image), image) and "no hole" in unchanged.note
    assert unchanged.strategy is None and unchanged.hole_fraction == 0
    full = inpainter(image, np.full((90, 100), 255, np.uint8), strategy="original")
    assert np.asarray(full.image).shape == image.shape and "whole image" in full.note
    with pytest.warns(UserWarning, match="no hole"):
        inpaint(image, np.zeros((90, 100), np.uint8), model, device="cpu")


def test_mask_threshold_and_polarity() -> None:
    grey = np.array([[0, 100, 127, 128, 255]], np.uint8)
    assert read_hole(grey).tolist() == [[False, False, False, True, True]]
    assert read_hole(grey, "black").tolist() == [[True, True, True, False, False]]
    assert read_hole(np.array([[0.2, 0.7]])).tolist() == [[False, True]]


@pytest.mark.parametrize(
    "image",
    [
        photo()[..., 0],
        np.dstack([photo(), np.full((90, 100), 255, np.uint8)]),
        photo().astype(np.uint16) * 257,
    ],
    ids=["grey", "rgba", "16-bit"],
)
def test_grey_rgba_and_16_bit_inputs(image: np.ndarray, model: PRFNGenerator) -> None:
    result = np.asarray(inpaint(image, two_holes(), model, device="cpu"))
    assert result.shape == (90, 100, 3)


@pytest.mark.parametrize(
    ("image", "mask", "message"),
    [
        (photo(), two_holes(80, 100), "mask is 100×80 but image is 100×90"),
        (photo(1, 1), np.full((1, 1), 255, np.uint8), "need 8+ pixels"),
        (photo(), np.zeros((90, 100, 2, 2)), "2-D image"),
    ],
)
def test_bad_input_is_a_one_line_error(image, mask, message: str, model: PRFNGenerator) -> None:
    with pytest.raises(InpaintingInputError, match=re.escape(message)) as error:
        inpaint(image, mask, model, device="cpu")
    assert "\n" not in str(error.value)
    with pytest.raises(InpaintingInputError, match="strategy"):
        inpaint(photo(), two_holes(), model, strategy="magic")


def test_the_shipped_model_is_the_default_and_beats_the_holes_own_mean_colour() -> None:
    image, mask = photo(), two_holes()
    result = np.asarray(inpaint(image, mask, device="cpu")).astype(int)
    hole = mask > 127
    assert np.array_equal(result[~hole], image[~hole])
    error = np.abs(result[hole] - image[hole]).mean()
    oracle_flat_fill = np.abs(image[hole].mean(axis=0) - image[hole]).mean()  # knows the hole's pixels
    assert error < 0.75 * oracle_flat_fill


def test_without_the_shipped_model_the_message_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inference, "SHIPPED_CHECKPOINT", tmp_path / "missing.ckpt")
    with pytest.raises(InpaintingInputError, match="no shipped model"):
        inpaint(photo(), two_holes())


@pytest.fixture
def checkpoint(tmp_path: Path, model: PRFNGenerator, save_tiny_checkpoint) -> Path:
    return save_tiny_checkpoint(model, tmp_path / "model.ckpt")


def test_cli_single_image(tmp_path: Path, checkpoint: Path) -> None:
    Image.fromarray(photo()).save(tmp_path / "photo.jpg")
    Image.fromarray(two_holes()).save(tmp_path / "mask.png")
    argv = ["--image", str(tmp_path / "photo.jpg"), "--mask", str(tmp_path / "mask.png")]
    argv += ["--checkpoint", str(checkpoint), "--device", "cpu"]
    assert inpaint_main([*argv, "--out", str(tmp_path / "out.png")]) == 0
    assert Image.open(tmp_path / "out.png").size == (100, 90)
    assert inpaint_main([*argv, "--out", str(tmp_path / "raw.png"), "--blend", "none"]) == 0
    raw = inpaint(Image.open(tmp_path / "photo.jpg"), Image.open(tmp_path / "mask.png"), checkpoint,
                  device="cpu", blend="none")  # fmt: skip
    assert np.array_equal(np.asarray(Image.open(tmp_path / "raw.png")), np.asarray(raw))


def test_cli_folder_mode_reports_failures_and_finishes_the_rest(
    tmp_path: Path, checkpoint: Path, capsys: pytest.CaptureFixture
) -> None:
    images, masks, out = tmp_path / "images", tmp_path / "masks", tmp_path / "out"
    images.mkdir(), masks.mkdir()
    for name in ("a", "b", "c"):
        Image.fromarray(photo(seed=ord(name))).save(images / f"{name}.jpg")
    (images / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    Image.fromarray(two_holes()).save(masks / "a.png")
    Image.fromarray(two_holes(80, 100)).save(masks / "b.png")  # wrong size
    Image.fromarray(two_holes()).save(masks / "broken.png")  # c has no mask
    argv = ["--images", str(images), "--masks", str(masks), "--out", str(out)]
    argv += ["--checkpoint", str(checkpoint), "--device", "cpu"]
    assert inpaint_main(argv) == 1
    assert sorted(p.name for p in out.iterdir()) == ["a.png"]  # nothing half-written for the failures
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 3 and any("b.jpg" in e and "100×80" in e for e in errors)
    assert any("no mask named c" in e for e in errors) and any("broken.jpg" in e for e in errors)


def test_cli_uses_the_shipped_model_by_default(tmp_path: Path) -> None:
    Image.fromarray(photo()).save(tmp_path / "photo.png")
    Image.fromarray(two_holes()).save(tmp_path / "mask.png")
    argv = ["--image", str(tmp_path / "photo.png"), "--mask", str(tmp_path / "mask.png")]
    assert inpaint_main([*argv, "--out", str(tmp_path / "out.png"), "--device", "cpu"]) == 0
    assert Image.open(tmp_path / "out.png").size == (100, 90)


def test_cli_without_model_or_with_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inference, "SHIPPED_CHECKPOINT", tmp_path / "missing.ckpt")
    argv = ["--image", "x.jpg", "--mask", "m.png", "--out", str(tmp_path / "o.png")]
    assert inpaint_main(argv) == 1
    assert "no shipped model" in capsys.readouterr().err
    assert inpaint_main(["--image", "x.jpg", "--out", "o.png"]) == 2
    assert not (tmp_path / "o.png").exists()


LONG_HOLES = {
    "9x3000": ((3000, 9), (slice(0, 3000), slice(3, 6))),
    "3000x9": ((9, 3000), (slice(3, 6), slice(0, 3000))),
    "panorama 2000x300, hole 800x20": ((300, 2000), (slice(140, 160), slice(600, 1400))),
    "diagonal scratch": ((240, 1600), None),
}


@pytest.mark.parametrize(
    "strategy", ["crop", "resize", pytest.param("original", marks=pytest.mark.slow)]
)  # fmt: skip
@pytest.mark.parametrize("case", LONG_HOLES)
def test_every_hole_pixel_is_filled_for_any_aspect_ratio(case: str, strategy: str) -> None:
    (height, width), box = LONG_HOLES[case]
    mask = np.zeros((height, width), np.uint8)
    if box is None:
        for x in range(0, width - 8):
            y = int(x / width * (height - 8))
            mask[y : y + 4, x : x + 4] = 255
    else:
        mask[box] = 255
    image = photo(height, width).copy()
    hole = mask > 0
    image[hole] = (255, 0, 255)  # a colour no fill of this photo produces
    inpainter = Inpainter(None, "cpu")
    result = np.asarray(inpainter(image, mask, strategy=strategy, blend="none").image)
    assert np.array_equal(result[~hole], image[~hole])
    kept = (result[hole] == image[hole]).all(axis=1)
    assert not kept.any(), f"{kept.sum()} of {hole.sum()} hole pixels kept their input value"


def test_crop_windows_cover_every_hole_at_the_training_scale() -> None:
    hole = np.zeros((300, 2000), bool)
    hole[140:160, 600:1400] = True
    hole[10:14, 10:14] = True
    windows = inference.crop_windows(hole, 128, 0.5)
    covered = np.zeros_like(hole)
    for top, left, height, width, scale in windows:
        covered[top : top + height, left : left + width] = True
        assert scale == 1 and height <= 300 and width <= 4 * 128
    assert covered[hole].all() and len(windows) > 2  # the long hole is tiled
    assert Inpainter(None, "cpu").size == 128  # the shipped checkpoint's recorded training size


def test_crop_shrinks_a_window_to_the_training_size_but_never_enlarges_it() -> None:
    hole = np.zeros((1000, 1000), bool)
    hole[100:700, 200:500] = True  # 600×300 with margins and ring: 1000 (capped by the photo) × 602
    ((top, left, height, width, scale),) = inference.crop_windows(hole, 128, 0.5)
    assert (top, left, height, width) == (0, 49, 1000, 602) and scale == pytest.approx(602 / 128)
    small = np.zeros((100, 100), bool)
    small[40:50, 40:50] = True
    ((_, _, height, width, scale),) = inference.crop_windows(small, 128, 0.5)
    assert (height, width, scale) == (100, 100, 1.0)


def test_poisson_blending_hole_by_hole_equals_one_solve_over_the_photo() -> None:
    rng = np.random.default_rng(3)
    image, fill = (rng.integers(0, 256, (60, 70, 3), dtype=np.uint8) for _ in range(2))
    hole = rng.random((60, 70)) < 0.3  # many holes, some touching only diagonally
    hole[:5, :] = True  # one along the border
    expected = poisson_blend(image, fill, hole).clip(0, 255).round().astype(np.uint8)
    assert np.array_equal(blend_holes(image, fill, hole), expected)


@pytest.mark.parametrize(
    "form", ["16-bit PNG", "PIL I;16", "uint16 array", "float array", "bool array", "RGB PNG"]
)
def test_masks_of_any_bit_depth_are_scaled_by_their_range(form: str, tmp_path: Path) -> None:
    grey = np.full((20, 30), 1000, np.uint16)  # a dark background: 1000 of 65535
    grey[5:10, 5:20] = 65535
    expected = grey > 32767
    if form == "16-bit PNG":
        Image.fromarray(grey).save(tmp_path / "m.png")
        mask = tmp_path / "m.png"
    elif form == "PIL I;16":
        mask = Image.fromarray(grey)
    elif form == "uint16 array":
        mask = grey
    elif form == "float array":
        mask = grey / 65535
    elif form == "bool array":
        mask = expected
    else:
        Image.fromarray(np.dstack([(grey // 257).astype(np.uint8)] * 3)).save(tmp_path / "m.png")
        mask = tmp_path / "m.png"
    assert np.array_equal(read_hole(mask), expected)
    assert np.array_equal(read_hole(mask, "black"), ~expected)


def test_the_cli_reads_a_16_bit_mask(tmp_path: Path, checkpoint: Path) -> None:
    grey = np.full((90, 100), 1000, np.uint16)
    grey[20:40, 20:50] = 65535
    Image.fromarray(grey).save(tmp_path / "mask.png")
    Image.fromarray(photo()).save(tmp_path / "photo.png")
    argv = ["--image", str(tmp_path / "photo.png"), "--mask", str(tmp_path / "mask.png")]
    assert inpaint_main([*argv, "--out", str(tmp_path / "out.png"), "--checkpoint", str(checkpoint)]) == 0
    changed = (np.asarray(Image.open(tmp_path / "out.png")) != photo()).any(axis=2)
    assert changed[20:40, 20:50].mean() > 0.9 and not changed[grey < 32768].any()


def test_dilate_grows_and_shrinks_the_hole(model: PRFNGenerator) -> None:
    mask = np.zeros((90, 100), np.uint8)
    mask[40:50, 40:50] = 255
    inpainter = Inpainter(model, "cpu")
    sizes = {d: inpainter(photo(), mask, dilate=d).hole_fraction * 9000 for d in (-2, 0, 3)}
    assert sizes[0] == 100 and sizes[-2] == 36 and 200 < sizes[3] < 256  # 16² less rounded corners
    grown = inference.grow_hole(mask > 0, 3)
    assert grown[37, 45] and not grown[36, 45] and not grown[37, 37]  # a disk, not a square


def test_crop_gives_the_blending_the_networks_fill_in_and_around_the_hole(model: PRFNGenerator) -> None:
    image, hole = photo(64, 64), np.zeros((64, 64), bool)
    hole[20:30, 25:35] = True  # one window: the whole 64² photo at scale 1 (size 64)
    inpainter = Inpainter(model, "cpu", size=64)
    (fill, region), network = (
        inpainter._fill_crops(image, hole, inference.crop_windows(hole, 64, 0.5)),
        inpainter._run(image, hole),
    )
    assert region == (slice(0, 64), slice(0, 64))
    near = inference.grow_hole(hole, 1)
    assert np.array_equal(fill[near], network[near]) and np.array_equal(fill[~near], image[~near])


def test_an_exif_rotated_photo_is_read_upright_and_matches_its_mask(
    tmp_path: Path, model: PRFNGenerator
) -> None:
    upright = photo(60, 40)  # 40 wide, 60 tall, as a viewer shows it
    stored = Image.fromarray(np.rot90(upright, k=1).copy())  # what a phone stores: 60 wide, 40 tall ...
    exif = Image.Exif()
    exif[0x0112] = 6  # ... with "rotate 90° clockwise to view"
    stored.save(tmp_path / "phone.png", exif=exif)
    assert np.array_equal(read_rgb(tmp_path / "phone.png"), upright)
    mask = np.zeros((60, 40), np.uint8)
    mask[10:20, 5:15] = 255
    result = np.asarray(inpaint(tmp_path / "phone.png", mask, model, device="cpu"))
    assert result.shape == (60, 40, 3) and np.array_equal(result[mask == 0], upright[mask == 0])


@pytest.mark.parametrize("height", [136, 133])  # a multiple of 8, and one the network pads
def test_an_object_on_the_bottom_right_border_does_not_come_back_from_the_padding(height: int) -> None:
    image = photo(height, 100).copy()
    hole = np.zeros((height, 100), bool)
    hole[height - 20 :, 60:] = True  # touches the bottom and the right border
    image[hole] = (255, 0, 0)  # the object to remove
    fill = Inpainter(None, "cpu")._run(image, hole)
    redness = fill[hole][:, 0].astype(int) - fill[hole][:, 1]
    assert redness.mean() < 40  # the mirrored object in the padding counted as known: ~100


def test_dust_shares_grid_windows() -> None:
    hole = np.random.default_rng(0).random((512, 512)) < 0.01  # ~2,600 specks
    windows = inference.crop_windows(hole, 128, 0.5)
    assert len(windows) <= 4 * 512 * 512 // 128**2 + 2 * 4 * 512 // 128 + 1  # the grid's cells and its border
    covered = np.zeros_like(hole)
    for top, left, height, width, _ in windows:
        covered[top : top + height, left : left + width] = True
    assert covered[hole].all()


def test_windows_far_apart_are_filled_cluster_by_cluster() -> None:
    hole = np.zeros((600, 900), bool)
    hole[5:25, 5:30] = hole[570:590, 860:890] = True  # opposite corners
    hole[300:310, 100:800] = True  # one long hole: its tiles overlap, one cluster
    windows = inference.crop_windows(hole, 128, 0.5)
    clusters = inference.window_clusters(windows, hole.shape)
    assert len(clusters) == 3 and sorted(map(len, clusters))[-1] > 1
    assert sum(map(len, clusters)) == len(windows)
    photo_region = (slice(0, 600), slice(0, 900))
    for group in clusters:  # no window of one cluster overlaps another's
        others = [w for w in windows if w not in group]
        overlap = inference.covers(group, photo_region) & inference.covers(others, photo_region)
        assert not overlap.any()


def test_a_window_without_margin_still_holds_the_ring_around_its_hole() -> None:
    hole = np.zeros((400, 400), bool)
    hole[100:300, 120:280] = True  # bigger than the training size: the window is the hole's box + ring
    ((top, left, height, width, _),) = inference.crop_windows(hole, 128, 0.0)
    assert (top, left, height, width) == (99, 119, 202, 162)


def test_the_photos_rgb_colour_profile_goes_with_the_result(
    tmp_path: Path, checkpoint: Path, capsys: pytest.CaptureFixture
) -> None:
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(photo()).save(tmp_path / "photo.jpg", icc_profile=srgb)
    Image.fromarray(two_holes()).save(tmp_path / "mask.png")
    argv = ["--image", str(tmp_path / "photo.jpg"), "--mask", str(tmp_path / "mask.png")]
    argv += ["--checkpoint", str(checkpoint), "--device", "cpu"]
    for name in ("out.png", "out.tif", "out.webp", "out.jpg"):
        assert inpaint_main([*argv, "--out", str(tmp_path / name)]) == 0
        assert Image.open(tmp_path / name).info.get("icc_profile") == srgb, name
    assert capsys.readouterr().err == ""
    assert inpaint_main([*argv, "--out", str(tmp_path / "out.bmp")]) == 0
    (line,) = capsys.readouterr().err.splitlines()
    assert line == "note: photo.jpg: BMP keeps no colour profile: the photo's ICC profile is not in out.bmp"

    image = Image.open(tmp_path / "photo.jpg")
    assert inpaint(image, two_holes(), checkpoint, device="cpu").info["icc_profile"] == srgb
    no_hole = np.zeros((90, 100), np.uint8)
    with pytest.warns(UserWarning):
        assert inpaint(image, no_hole, checkpoint, device="cpu").info["icc_profile"] == srgb
    grey = srgb[:16] + b"GRAY" + srgb[20:]  # a grey profile would misdescribe RGB pixels
    Image.fromarray(photo()[..., 0]).save(tmp_path / "grey.png", icc_profile=grey)
    assert "icc_profile" not in inpaint(tmp_path / "grey.png", two_holes(), checkpoint, device="cpu").info
    assert "icc_profile" not in inpaint(photo(), two_holes(), checkpoint, device="cpu").info
