"""zoo.metrics.sharpness by hand: the Sobel gradient of a ramp, the spectral share of a sinusoid, and
the ratios that show blur (below 1) against the ground truth."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from zoo.metrics.sharpness import gradient_magnitude, high_frequency_share, sharpness_ratios


def test_sobel_gradient_of_a_ramp():
    """A horizontal ramp of slope s: G_x = (1 + 2 + 1)·2s = 8s everywhere, G_y = 0."""
    y = torch.arange(10.0).repeat(10, 1)[None, None] * 3.0
    assert torch.allclose(gradient_magnitude(y.double()), torch.tensor([24.0], dtype=torch.float64))


def test_high_frequency_share_of_sinusoids():
    """A cosine at 0.5·Nyquist puts all its power above a 0.25 cutoff and none above 0.75."""
    n = 32
    x = torch.arange(n, dtype=torch.float64)
    wave = torch.cos(2 * math.pi * 0.25 * x).repeat(n, 1)[None, None]  # 0.25 cycles/px = 0.5 Nyquist
    assert torch.allclose(high_frequency_share(wave, 0.25), torch.tensor([1.0], dtype=torch.float64))
    assert torch.allclose(high_frequency_share(wave, 0.75), torch.tensor([0.0], dtype=torch.float64))


def test_blur_lowers_both_ratios_and_the_truth_scores_one():
    torch.manual_seed(0)
    hr = torch.rand(2, 3, 48, 48) * 2 - 1
    blurred = F.avg_pool2d(hr, 3, 1, 1)
    same = sharpness_ratios(hr, hr, crop_border=4)
    assert torch.allclose(same["gradient"], torch.ones(2, dtype=torch.float64))
    assert torch.allclose(same["high_frequency"], torch.ones(2, dtype=torch.float64))
    blur = sharpness_ratios(blurred, hr, crop_border=4)
    assert (blur["gradient"] < 0.8).all() and (blur["high_frequency"] < 0.8).all()
