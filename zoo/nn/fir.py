"""Resampling with a FIR filter, as StyleGAN2 does it (Karras et al. 2020, arXiv:1912.04958, Sec. 2 and
App. B: bilinear [1, 3, 3, 1] filtering for up- and down-sampling, after Zhang 2019's anti-aliasing).

`upfirdn2d` has the semantics of NVlabs' op of that name, written in plain torch: upsample by inserting
`up - 1` zeros after every pixel, pad (or crop, for negative pads) by (x0, x1, y0, y1), convolve every
channel with the 2-D filter times `gain` (a true convolution: the filter is flipped unless
`flip_filter`), and keep every `down`-th pixel. `conv2d_resample` fuses a convolution with a 2x up- or
down-sampling in the way the official networks do (so converted weights give the same images).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def fir_filter(taps=(1, 3, 3, 1), *, normalize: bool = True, device=None) -> Tensor:
    """The separable 2-D filter outer(taps, taps), scaled to sum to 1 (a (k, k) float32 tensor)."""
    f = torch.as_tensor(taps, dtype=torch.float32, device=device)
    if f.dim() == 1:
        f = torch.outer(f, f)
    if f.dim() != 2:
        raise ValueError(f"a FIR filter is 1-d taps or a 2-d kernel, got shape {tuple(f.shape)}")
    return f / f.sum() if normalize else f


def _pads(padding) -> tuple[int, int, int, int]:
    if isinstance(padding, int):
        return padding, padding, padding, padding
    if len(padding) == 2:
        return padding[0], padding[0], padding[1], padding[1]
    x0, x1, y0, y1 = padding
    return int(x0), int(x1), int(y0), int(y1)


def upfirdn2d(x: Tensor, f: Tensor, *, up: int = 1, down: int = 1, padding=0, flip_filter: bool = False,
              gain: float = 1.0) -> Tensor:
    """Upsample (zero insertion), pad (x0, x1, y0, y1), FIR-filter, downsample x (N, C, H, W)."""
    n, c, h, w = x.shape
    x0, x1, y0, y1 = _pads(padding)
    if up > 1:  # each pixel followed by up-1 zeros, along both axes
        x = F.pad(x.reshape(n, c, h, 1, w, 1), [0, up - 1, 0, 0, 0, up - 1]).reshape(n, c, h * up, w * up)
    x = F.pad(x, [max(x0, 0), max(x1, 0), max(y0, 0), max(y1, 0)])
    x = x[:, :, max(-y0, 0):x.shape[2] - max(-y1, 0), max(-x0, 0):x.shape[3] - max(-x1, 0)]
    kernel = (f * gain).to(x.dtype)
    if not flip_filter:  # conv2d correlates; a convolution flips the filter
        kernel = kernel.flip([0, 1])
    x = F.conv2d(x, kernel[None, None].expand(c, 1, *kernel.shape), groups=c)
    return x[:, :, ::down, ::down] if down > 1 else x


def upsample2d(x: Tensor, f: Tensor, up: int = 2, gain: float = 1.0) -> Tensor:
    """x at `up` times the size, interpolated by the filter (its gain up² keeps the mean)."""
    k = f.shape[-1]
    return upfirdn2d(x, f, up=up, padding=((k + up - 1) // 2, (k - up) // 2) * 2, gain=gain * up * up)


def downsample2d(x: Tensor, f: Tensor, down: int = 2, gain: float = 1.0) -> Tensor:
    """x at 1/`down` of the size, low-passed by the filter first."""
    k = f.shape[-1]
    return upfirdn2d(x, f, down=down, padding=((k - down + 1) // 2, (k - down) // 2) * 2, gain=gain)


def conv2d_resample(x: Tensor, w: Tensor, f: Tensor | None = None, *, up: int = 1, down: int = 1, padding: int = 0,
                    groups: int = 1) -> Tensor:
    """conv2d(x, w, padding) with a fused 2x up-sampling before it (a stride-2 transposed convolution,
    then the filter) or a 2x down-sampling after it (the filter, then a stride-2 convolution).
    The output is (N, out, H·up/down, W·up/down) for a kernel of size 2·padding + 1."""
    if up > 1 and down > 1:
        raise ValueError("conv2d_resample does either up- or down-sampling, not both")
    out_ch, in_per_group, kh, kw = w.shape
    if up == 1 and down == 1:
        return F.conv2d(x, w, padding=padding, groups=groups)
    if f is None:
        raise ValueError("resampling needs a FIR filter f")
    k = f.shape[-1]
    if up > 1:
        lo, hi = padding + (k + up - 1) // 2 - (kw - 1), padding + (k - up) // 2 - (kw - up)
        trim = max(min(-lo, -hi), 0)  # padding the transposed convolution can take over
        # conv_transpose2d wants (in, out/groups, kh, kw): swap in and out within each group
        wt = w.reshape(groups, out_ch // groups, in_per_group, kh, kw).transpose(1, 2)
        wt = wt.reshape(groups * in_per_group, out_ch // groups, kh, kw)
        x = F.conv_transpose2d(x, wt, stride=up, padding=trim, groups=groups)
        return upfirdn2d(x, f, padding=(lo + trim, hi - trim) * 2, gain=up * up)
    lo, hi = padding + (k - down + 1) // 2, padding + (k - down) // 2
    x = upfirdn2d(x, f, padding=(lo, hi) * 2)
    return F.conv2d(x, w, stride=down, groups=groups)
