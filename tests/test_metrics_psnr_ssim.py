"""PSNR and SSIM on the Y channel with border crop: hand-checked values and agreement with scikit-image."""
import numpy as np
import pytest
import torch

from zoo.errors import ShapeError
from zoo.metrics.psnr_ssim import mean_finite, prepare, psnr, rgb_to_y, ssim


def images(seed, n=2, c=3, size=32):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, c, size, size, generator=g) * 2 - 1


def test_bt601_luma_of_black_and_white():
    rgb = torch.tensor([0.0, 255.0]).view(2, 1, 1, 1).expand(2, 3, 1, 1)
    assert rgb_to_y(rgb).flatten().tolist() == pytest.approx([16.0, 235.0], abs=1e-3)


def test_psnr_by_hand_and_identity():
    hr = torch.zeros(1, 1, 8, 8)  # grey 0 → 127.5 → rounds to 128 on the 0–255 scale
    sr = hr.clone()
    sr[..., 0, 0] = 1.0  # one pixel at 255: error 127 on 1 of 64 pixels
    expected = 10 * np.log10(255 ** 2 / (127 ** 2 / 64))
    assert psnr(sr, hr).item() == pytest.approx(expected, rel=1e-12)
    assert psnr(sr, hr, crop_border=1).item() == float("inf")  # the differing pixel is cropped away
    assert ssim(images(5, size=16), images(5, size=16)).tolist() == pytest.approx([1.0, 1.0])


def test_agreement_with_scikit_image_on_the_y_channel():
    metrics = pytest.importorskip("skimage.metrics")
    sr, hr = images(0), images(1) * 0.3 + images(0) * 0.7  # correlated, so SSIM is informative
    crop = 4
    ours_psnr, ours_ssim = psnr(sr, hr, crop_border=crop), ssim(sr, hr, crop_border=crop)
    y_sr = prepare(sr, crop_border=crop)[:, 0].numpy()
    y_hr = prepare(hr, crop_border=crop)[:, 0].numpy()
    for i in range(len(sr)):
        ref_psnr = metrics.peak_signal_noise_ratio(y_hr[i], y_sr[i], data_range=255)
        ref_ssim = metrics.structural_similarity(y_hr[i], y_sr[i], data_range=255, gaussian_weights=True,
                                                 sigma=1.5, use_sample_covariance=False)
        assert ours_psnr[i].item() == pytest.approx(ref_psnr, rel=1e-10)
        assert ours_ssim[i].item() == pytest.approx(ref_ssim, rel=1e-6)
    assert 0 < ours_ssim.min() < 1


def test_quantisation_and_channel_choices_are_visible():
    sr, hr = images(2), images(3)
    assert not torch.allclose(psnr(sr, hr), psnr(sr, hr, quantize=False))
    assert not torch.allclose(psnr(sr, hr), psnr(sr, hr, y_channel=False))
    assert prepare(sr).shape == (2, 1, 32, 32) and prepare(sr, y_channel=False).shape == (2, 3, 32, 32)


def test_bad_inputs():
    with pytest.raises(ShapeError, match="same shape"):
        psnr(images(0, size=32), images(0, size=16))
    with pytest.raises(ValueError, match="crop_border"):
        psnr(images(0, size=8), images(1, size=8), crop_border=4)
    assert mean_finite(torch.tensor([float("inf"), 30.0, 40.0])) == 35.0
