"""pmrf-lightning: the Parallel Multi-Resolution Fusion Network for image inpainting (ICCV 2021).

Tensor convention, used by every module: images are float (B, 3, H, W) in [-1, 1]; masks are
float (B, 1, H, W) with 1 = known pixel and 0 = hole.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    """``pmrf_lightning.inpaint`` and ``Inpainter`` without importing torch at package import."""
    if name in ("inpaint", "Inpainter"):
        from . import inference

        return getattr(inference, name)
    raise AttributeError(f"module 'pmrf_lightning' has no attribute {name!r}")
