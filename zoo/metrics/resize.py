"""Resizing images to a feature extractor's input size, with the filters the FID references use.

The filter is one of the known pitfalls of FID (Parmar et al., "On Aliased Resizing and Surprising
Subtleties in GAN Evaluation", CVPR 2022, arXiv:2104.11222): the same images give different FIDs under
different filters, so the filter is a visible choice.

- "tf1-bilinear": TensorFlow 1.x `resize_bilinear(align_corners=False)`, which the original TF FID/IS
  code ran inside the Inception graph (source pixel = output pixel × in/out, no half-pixel offset).
  torch-fidelity reproduces it; so does this one.
- "bilinear": PyTorch's `interpolate(mode="bilinear", align_corners=False)` (half-pixel centres, no
  antialias), what pytorch-fid does.
- "bicubic-antialias": PyTorch's antialiased bicubic, close to PIL's BICUBIC that clean-fid
  recommends (not bit-identical to PIL).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

RESIZE_FILTERS = ("tf1-bilinear", "bilinear", "bicubic-antialias")


def resize(images: Tensor, size: tuple[int, int], filter: str) -> Tensor:
    """Resize float (N, C, H, W) images to `size` = (H', W') with one of RESIZE_FILTERS."""
    if filter not in RESIZE_FILTERS:
        raise ValueError(f"resize filter must be one of {RESIZE_FILTERS}, got {filter!r}")
    if images.ndim != 4 or not images.is_floating_point():
        raise ValueError(f"resize takes float (N, C, H, W) images, got {images.dtype} {tuple(images.shape)}")
    if tuple(images.shape[-2:]) == tuple(size):
        return images
    if filter == "bilinear":
        return F.interpolate(images, size=size, mode="bilinear", align_corners=False)
    if filter == "bicubic-antialias":
        return F.interpolate(images, size=size, mode="bicubic", align_corners=False, antialias=True)
    # TF1 interpolates along the width first, then the height (resize_bilinear_op.cc)
    return _tf1_axis(_tf1_axis(images, size[1], dim=3), size[0], dim=2)


def _tf1_axis(x: Tensor, out: int, dim: int) -> Tensor:
    """TF1 legacy bilinear along one axis: source = index × (in/out) in float32, clamped at the edge."""
    n_in = x.shape[dim]
    if n_in == out:
        return x
    scale = torch.tensor(n_in / out, dtype=torch.float32)
    src = torch.arange(out, dtype=torch.float32) * scale
    lo = src.floor().long().clamp(max=n_in - 1)
    hi = (lo + 1).clamp(max=n_in - 1)
    shape = [1] * x.ndim
    shape[dim] = out
    frac = (src - lo.float()).to(x.dtype).to(x.device).view(shape)
    a = x.index_select(dim, lo.to(x.device))
    b = x.index_select(dim, hi.to(x.device))
    return a + (b - a) * frac
