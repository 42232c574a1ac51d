"""The shared blocks of the ProGAN/StyleGAN family in zoo/nn (equalized layers, pixel norm, minibatch std,
noise, FIR resampling, modulated convolution), each checked against hand computations or a plain loop
written from the papers' equations in this file."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from zoo.nn.equalized import (
    EqualConv2d,
    EqualLinear,
    MinibatchStdDev,
    NoiseInjection,
    bias_act,
    pixel_norm,
)
from zoo.nn.fir import conv2d_resample, downsample2d, fir_filter, upfirdn2d, upsample2d
from zoo.nn.modulated_conv import ModulatedConv2d, modulated_conv2d


# -- FIR resampling ------------------------------------------------------------------------------
def loop_upfirdn2d(x: np.ndarray, f: np.ndarray, up: int, down: int, pad: tuple[int, int, int, int],
                   gain: float) -> np.ndarray:
    """The definition, one output pixel at a time: zero insertion, zero padding (x0, x1, y0, y1), a true
    convolution with f·gain (out[i, j] = Σ_ab f[a, b] · in[i + k-1-a, j + k-1-b]), every down-th pixel."""
    n, c, h, w = x.shape
    upped = np.zeros((n, c, h * up, w * up))
    upped[:, :, ::up, ::up] = x
    x0, x1, y0, y1 = pad
    padded = np.zeros((n, c, h * up + y0 + y1, w * up + x0 + x1))
    padded[:, :, y0:y0 + h * up, x0:x0 + w * up] = upped
    k = f.shape[0]
    oh, ow = padded.shape[2] - k + 1, padded.shape[3] - k + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            for a in range(k):
                for b in range(k):
                    out[:, :, i, j] += f[a, b] * gain * padded[:, :, i + k - 1 - a, j + k - 1 - b]
    return out[:, :, ::down, ::down]


def test_fir_filter_is_the_normalised_outer_product_of_1_3_3_1():
    expected = np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64.0
    assert np.allclose(fir_filter().numpy(), expected)
    assert np.allclose(fir_filter([1, 2, 1], normalize=False).numpy(), np.outer([1, 2, 1], [1, 2, 1]))


@pytest.mark.parametrize("up,down,pad,gain", [(1, 1, (1, 2, 0, 1), 1.0), (2, 1, (2, 1, 2, 1), 4.0),
                                              (1, 2, (1, 1, 1, 1), 1.0), (2, 1, (1, 1, 1, 1), 4.0)])
def test_upfirdn2d_matches_the_definition_loop(up, down, pad, gain):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 5, 6, generator=g, dtype=torch.float64)
    f = torch.rand(4, 4, generator=g, dtype=torch.float64)  # not symmetric: the flip matters
    got = upfirdn2d(x, f, up=up, down=down, padding=pad, gain=gain)
    assert np.allclose(got.numpy(), loop_upfirdn2d(x.numpy(), f.numpy(), up, down, pad, gain), atol=1e-12)


def test_upfirdn2d_negative_padding_crops():
    x = torch.arange(36.0).view(1, 1, 6, 6)
    one = torch.ones(1, 1)
    assert torch.equal(upfirdn2d(x, one, padding=(-1, -2, -2, 0)), x[:, :, 2:, 1:4])


def test_downsample2d_by_hand():
    # each row 0..7: the [1,3,3,1]/8 filter with one zero of padding at each end, every second tap:
    # (0+0+3+2)/8, (1+6+9+4)/8, (3+12+15+6)/8, (5+18+21+0)/8; vertically rows are equal, so the top and
    # bottom rows see one zero row: (0 + 3 + 3 + 1)/8 = 7/8 of the value, the middle rows all of it.
    x = torch.arange(8.0).repeat(8, 1).view(1, 1, 8, 8)
    got = downsample2d(x, fir_filter())
    row = torch.tensor([5, 20, 36, 44]) / 8
    col = torch.tensor([7 / 8, 1, 1, 7 / 8])
    assert torch.allclose(got[0, 0], col[:, None] * row[None, :])


def test_upsample2d_by_hand_keeps_constants_and_interpolates_bilinearly():
    # 1-D: zero insertion then [1,3,3,1]/8 x2 gives each new pixel 3/4 of its nearer and 1/4 of its farther
    # neighbour (bilinear at offsets ±1/4); the same along both axes.
    x = torch.tensor([[0.0, 4.0, 8.0, 12.0]]).repeat(4, 1).view(1, 1, 4, 4)
    got = upsample2d(x, fir_filter())
    interior_row = torch.tensor([1.0, 3.0, 5.0, 7.0, 9.0, 11.0])  # cols 1..6: 0.75·a + 0.25·b pairs
    assert torch.allclose(got[0, 0, 2:6, 1:7], interior_row.expand(4, 6))
    assert torch.allclose(upsample2d(torch.ones(1, 2, 4, 4), fir_filter())[:, :, 2:6, 2:6], torch.ones(1, 2, 4, 4))


def test_conv2d_resample_equals_resampling_then_convolving_in_the_interior():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 8, 8, generator=g, dtype=torch.float64)
    w = torch.randn(5, 3, 3, 3, generator=g, dtype=torch.float64)
    f = fir_filter().double()
    # up: NVlabs' convention is a transposed convolution with the weights as stored (a true convolution
    # of the upsampled image), so the equivalent correlation takes the flipped kernel
    up = conv2d_resample(x, w, f, up=2, padding=1)
    ref = F.conv2d(upsample2d(x, f), w.flip([2, 3]), padding=1)
    assert up.shape == (2, 5, 16, 16)
    assert torch.allclose(up[:, :, 3:-3, 3:-3], ref[:, :, 3:-3, 3:-3], atol=1e-12)
    down = conv2d_resample(x, w, f, down=2, padding=1)
    ref = downsample2d(F.conv2d(x, w, padding=1), f)
    assert down.shape == (2, 5, 4, 4)
    assert torch.allclose(down[:, :, 1:3, 1:3], ref[:, :, 1:3, 1:3], atol=1e-12)
    w1 = torch.randn(5, 3, 1, 1, generator=g, dtype=torch.float64)  # the skip: exactly filter, then 1x1
    assert torch.allclose(conv2d_resample(x, w1, f, down=2), F.conv2d(downsample2d(x, f), w1), atol=1e-12)


def test_conv2d_resample_grouped_up_equals_each_group_alone():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(1, 6, 4, 4, generator=g)
    w = torch.randn(4, 3, 3, 3, generator=g)  # 2 groups: 3 in -> 2 out each
    f = fir_filter()
    both = conv2d_resample(x, w, f, up=2, padding=1, groups=2)
    first = conv2d_resample(x[:, :3], w[:2], f, up=2, padding=1)
    second = conv2d_resample(x[:, 3:], w[2:], f, up=2, padding=1)
    assert torch.allclose(both, torch.cat([first, second], 1), atol=1e-5)


# -- equalized layers, pixel norm, activation gain -------------------------------------------------
def test_bias_act_by_hand():
    x = torch.tensor([[-1.0, 2.0]])
    b = torch.tensor([0.5, -1.0])
    assert torch.allclose(bias_act(x, b, "lrelu"), torch.tensor([[-0.5 * 0.2, 1.0]]) * math.sqrt(2))
    assert torch.allclose(bias_act(x, b, "linear", gain=3.0), torch.tensor([[-1.5, 3.0]]))
    assert torch.allclose(bias_act(x * 100, None, "linear", clamp=50.0), torch.tensor([[-50.0, 50.0]]))


def test_equal_linear_scales_weights_at_run_time_with_the_lr_multiplier():
    layer = EqualLinear(4, 2, lr_multiplier=0.01, bias_init=0.0)
    # stored weights are N(0, 1)/lr_multiplier: their std is 100, not 1 (the learning-rate trick)
    big = EqualLinear(256, 256, lr_multiplier=0.01)
    assert 90 < float(big.weight.detach().std()) < 110
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.0, 1.0, 0.0]]))
        layer.bias.copy_(torch.tensor([10.0, -20.0]))
    x = torch.tensor([[1.0, 1.0, 1.0, 1.0]])
    # w · lr/sqrt(4) and b · lr: (10·0.005, 0·0.005) + (0.1, -0.2)
    assert torch.allclose(layer(x), torch.tensor([[10 * 0.005 + 0.1, 0 * 0.005 - 0.2]]))
    act = EqualLinear(4, 2, activation="lrelu")
    with torch.no_grad():
        act.weight.copy_(layer.weight)
        act.bias.zero_()
    assert torch.allclose(act(x), torch.tensor([[5.0, 0.0]]) * math.sqrt(2))
    # the gradient reaching the stored weight is scaled by lr/sqrt(fan_in): Adam's step is then ×lr in w
    layer(x).sum().backward()
    assert torch.allclose(layer.weight.grad, torch.full((2, 4), 0.005))


def test_equal_conv2d_uses_the_he_constant_of_its_fan_in():
    conv = EqualConv2d(2, 1, 3, bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    x = torch.ones(1, 2, 5, 5)
    out = conv(x)
    # centre pixel: 18 taps of 1, times 1/sqrt(2·9)
    assert torch.allclose(out[0, 0, 2, 2], torch.tensor(18 / math.sqrt(18)))
    assert out.shape == (1, 1, 5, 5)
    assert EqualConv2d(2, 3, 3, down=2)(x[..., :4, :4]).shape == (1, 3, 2, 2)


def test_pixel_norm_by_hand():
    x = torch.tensor([[3.0, 4.0]])
    assert torch.allclose(pixel_norm(x), x / math.sqrt(12.5))
    y = torch.randn(3, 5, 2, 2) * 7
    assert torch.allclose(pixel_norm(y).square().mean(1), torch.ones(3, 2, 2), atol=1e-5)


# -- minibatch standard deviation ----------------------------------------------------------------
def loop_minibatch_std(x: np.ndarray, group: int, channels: int) -> np.ndarray:
    """StyleGAN2's grouped std, sample by sample: sample i belongs with the samples j ≡ i (mod N/G)."""
    n, c, h, w = x.shape
    g = min(group, n)
    groups = n // g
    out = np.zeros((n, channels, h, w))
    for i in range(n):
        members = [j for j in range(n) if j % groups == i % groups]
        for f in range(channels):
            block = x[members][:, f * (c // channels):(f + 1) * (c // channels)]
            std = np.sqrt(block.var(axis=0) + 1e-8)  # biased variance over the group
            out[i, f] = std.mean()
    return np.concatenate([x, out], axis=1)


@pytest.mark.parametrize("n,group,channels", [(8, 4, 1), (8, 4, 2), (6, 2, 1), (2, 4, 1)])
def test_minibatch_std_matches_a_loop(n, group, channels):
    x = torch.randn(n, 4, 3, 3, generator=torch.Generator().manual_seed(n), dtype=torch.float64)
    got = MinibatchStdDev(group, channels)(x)
    assert np.allclose(got.numpy(), loop_minibatch_std(x.numpy(), group, channels))


def test_minibatch_std_refuses_a_batch_that_is_not_a_multiple_of_the_group():
    with pytest.raises(ValueError, match="multiple of the group size"):
        MinibatchStdDev(4)(torch.zeros(6, 2, 2, 2))


# -- noise -------------------------------------------------------------------------------------------
def test_noise_injection_modes():
    noise = NoiseInjection(4)
    x = torch.zeros(2, 3, 4, 4)
    assert torch.equal(noise(x), x)  # strength starts at 0
    with torch.no_grad():
        noise.strength.fill_(0.5)
    const = noise(x, "const")
    assert torch.allclose(const, 0.5 * noise.noise_const.expand(2, 3, 4, 4))
    rnd = noise(x, "random")
    assert torch.equal(rnd[:, 0], rnd[:, 2])  # one map per pixel, shared by the channels
    assert not torch.equal(rnd[0], rnd[1])  # fresh per sample
    assert torch.equal(noise(x, "none"), x)
    with pytest.raises(ValueError, match="noise mode"):
        noise(x, "fixed")


# -- modulated convolution ------------------------------------------------------------------------
def loop_modulated_conv(x, weight, styles, demodulate, padding):
    """Eq. 1-3, one sample at a time: w' = s_i w, w'' = w' / sqrt(Σ_{i,k} w'² + 1e-8), then conv2d."""
    outs = []
    for i in range(x.shape[0]):
        w = weight * styles[i].view(1, -1, 1, 1)
        if demodulate:
            w = w / torch.sqrt(w.square().sum(dim=(1, 2, 3), keepdim=True) + 1e-8)
        outs.append(F.conv2d(x[i:i + 1], w, padding=padding))
    return torch.cat(outs)


@pytest.mark.parametrize("demodulate", [True, False])
@pytest.mark.parametrize("fused", [True, False])
def test_modulated_conv2d_matches_per_sample_weights(demodulate, fused):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(3, 4, 6, 6, generator=g, dtype=torch.float64)
    weight = torch.randn(5, 4, 3, 3, generator=g, dtype=torch.float64)
    styles = torch.randn(3, 4, generator=g, dtype=torch.float64)
    got = modulated_conv2d(x, weight, styles, demodulate=demodulate, padding=1, fused=fused)
    assert torch.allclose(got, loop_modulated_conv(x, weight, styles, demodulate, 1), atol=1e-10)


@pytest.mark.parametrize("fused", [True, False])
def test_modulated_conv2d_fused_upsampling_is_per_sample_resample_conv(fused):
    g = torch.Generator().manual_seed(4)
    x = torch.randn(2, 3, 4, 4, generator=g, dtype=torch.float64)
    weight = torch.randn(2, 3, 3, 3, generator=g, dtype=torch.float64)
    styles = torch.rand(2, 3, generator=g, dtype=torch.float64) + 0.5
    f = fir_filter().double()
    got = modulated_conv2d(x, weight, styles, up=2, padding=1, resample_filter=f, fused=fused)
    for i in range(2):
        w = weight * styles[i].view(1, -1, 1, 1)
        w = w / torch.sqrt(w.square().sum(dim=(1, 2, 3), keepdim=True) + 1e-8)
        assert torch.allclose(got[i:i + 1], conv2d_resample(x[i:i + 1], w, f, up=2, padding=1), atol=1e-10)


def test_demodulation_makes_the_output_independent_of_the_style_scale():
    g = torch.Generator().manual_seed(5)
    x, weight = torch.randn(2, 4, 5, 5, generator=g), torch.randn(3, 4, 3, 3, generator=g)
    styles = torch.rand(2, 4, generator=g) + 0.1
    a = modulated_conv2d(x, weight, styles, padding=1)
    assert torch.allclose(a, modulated_conv2d(x, weight, styles * 7.0, padding=1), atol=1e-4)
    assert not torch.allclose(modulated_conv2d(x, weight, styles, padding=1, demodulate=False),
                              modulated_conv2d(x, weight, styles * 7.0, padding=1, demodulate=False))


def test_modulated_conv_layer_affine_starts_at_bias_one_and_torgb_carries_the_he_constant():
    layer = ModulatedConv2d(4, 2, w_dim=3, kernel_size=1, demodulate=False, activation="linear")
    with torch.no_grad():
        layer.affine.weight.zero_()  # styles = bias = 1, times 1/sqrt(4·1·1)
        layer.weight.fill_(1.0)
    x = torch.ones(1, 4, 2, 2)
    assert torch.allclose(layer(x, torch.zeros(1, 3)), torch.full((1, 2, 2, 2), 4 * 0.5))
    assert torch.allclose(layer.affine.bias, torch.ones(4))


def test_modulated_conv2d_checks_the_styles_shape():
    with pytest.raises(ValueError, match=r"styles must have shape \(2, 4\)"):
        modulated_conv2d(torch.zeros(2, 4, 3, 3), torch.zeros(1, 4, 3, 3), torch.zeros(2, 3))


def test_bias_act_inplace_gives_the_same_values_into_x_and_keeps_the_promotion():
    x = torch.randn(2, 3, 4, 4) * 100
    b = torch.randn(3)
    expected = (F.leaky_relu(x + b.view(1, 3, 1, 1), 0.2) * math.sqrt(2) * 0.5).clamp(-40, 40)
    assert torch.equal(bias_act(x.clone(), b, "lrelu", gain=0.5, clamp=40.0), expected)
    assert not torch.equal(x, expected)  # out of place: x is left as it was
    y = x.clone()
    out = bias_act(y, b, "lrelu", gain=0.5, clamp=40.0, inplace=True)
    assert out.data_ptr() == y.data_ptr() and torch.equal(out, expected)
    half = x.to(torch.bfloat16)  # bf16 + an fp32 bias promotes: in place would round to bf16, so it is not
    out = bias_act(half, b, "lrelu", inplace=True)
    assert out.dtype == torch.float32 and torch.equal(half, x.to(torch.bfloat16))


def test_noise_injection_inplace_adds_into_x():
    noise = NoiseInjection(4)
    with torch.no_grad():
        noise.strength.fill_(0.5)
    x = torch.randn(2, 3, 4, 4)
    y = x.clone()
    out = noise(y, "const", inplace=True)
    assert out.data_ptr() == y.data_ptr() and torch.equal(out, x + 0.5 * noise.noise_const)


@pytest.mark.parametrize("up", [1, 2])
def test_modulated_conv_layer_is_the_same_with_and_without_autograd(up):
    torch.manual_seed(0)
    layer = ModulatedConv2d(3, 5, w_dim=4, up=up, resolution=8 * up, clamp=0.3)
    with torch.no_grad():
        layer.noise.strength.fill_(0.7)
        layer.bias.normal_()
    x, w = torch.randn(2, 3, 8, 8), torch.randn(2, 4)
    with_grad = layer(x, w, "const")
    assert with_grad.requires_grad
    x_before = x.clone()
    with torch.no_grad():
        assert torch.equal(layer(x, w, "const"), with_grad.detach())
    assert torch.equal(x, x_before)


@pytest.mark.parametrize("grad", [True, False])
def test_modulated_conv_layer_by_hand_with_gain_and_an_active_clamp(grad):
    """The whole styled layer of StyleGAN2-ADA's SynthesisLayer, written out: styles = A(w), the per-sample
    demodulated conv, const noise · strength, + bias, lrelu · √2 · gain, clamped to ±clamp · gain."""
    torch.manual_seed(1)
    layer = ModulatedConv2d(3, 4, w_dim=5, resolution=6, clamp=0.4)
    with torch.no_grad():
        layer.noise.strength.fill_(0.3)
        layer.bias.normal_()
    x, w, gain = torch.randn(2, 3, 6, 6), torch.randn(2, 5), 0.5
    styles = F.linear(w, layer.affine.weight / math.sqrt(5), layer.affine.bias)
    y = loop_modulated_conv(x, layer.weight.detach(), styles.detach(), True, 1)
    y = y + 0.3 * layer.noise.noise_const + layer.bias.detach().view(1, -1, 1, 1)
    expected = (F.leaky_relu(y, 0.2) * math.sqrt(2) * gain).clamp(-0.4 * gain, 0.4 * gain)
    assert (expected.abs() == 0.4 * gain).float().mean() > 0.1  # the clamp is at work on part of the map
    with torch.set_grad_enabled(grad):
        got = layer(x, w, "const", gain=gain)
    assert torch.allclose(got.detach(), expected, atol=1e-5)
