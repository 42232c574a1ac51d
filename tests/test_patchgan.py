"""zoo.nn.patchgan: pix2pix's 70x70 PatchGAN and its pix2pixHD / SPADE variants, against a plain
re-implementation written here from the paper's text (C64-C128-C256-C512, 4x4, strides 2-2-2-1-1)."""
import pytest
import torch
from torch import nn

from zoo.nn.patchgan import PatchGAN, receptive_field
from zoo.nn.spectral import has_spectral_norm


def _plain_pix2pix_d(in_channels: int, padding: int) -> nn.Sequential:
    """pix2pix Appendix 6.1.2: C64-C128-C256-C512 then a 1-channel conv; BN on all but C64; LeakyReLU 0.2."""
    return nn.Sequential(
        nn.Conv2d(in_channels, 64, 4, 2, padding), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, padding, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.Conv2d(128, 256, 4, 2, padding, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
        nn.Conv2d(256, 512, 4, 1, padding, bias=False), nn.BatchNorm2d(512), nn.LeakyReLU(0.2),
        nn.Conv2d(512, 1, 4, 1, padding),
    )


def _copy_in_order(source: nn.Module, target: nn.Module) -> None:
    params = [p for p in source.state_dict().values()]
    target_keys = list(target.state_dict())
    assert len(params) == len(target_keys)
    target.load_state_dict({k: v.clone() for k, v in zip(target_keys, params)})


@pytest.mark.parametrize("padding", [1, 2])
def test_default_is_the_papers_stack(padding):
    torch.manual_seed(0)
    ours, plain = PatchGAN(6, padding=padding), _plain_pix2pix_d(6, padding)
    _copy_in_order(ours, plain)
    x = torch.randn(2, 6, 64, 64)
    for mode in (True, False):
        ours.train(mode), plain.train(mode)
        torch.testing.assert_close(ours(x), plain(x), rtol=0, atol=1e-6)


def test_output_grid_of_a_256_input():
    # the pix2pix discriminator's 30x30 grid of patch scores on 256x256 images; pix2pixHD's padding 2 gives 35x35
    x = torch.zeros(1, 3, 256, 256)
    assert PatchGAN(3, width=8)(x).shape == (1, 1, 30, 30)
    assert PatchGAN(3, width=8, padding=2)(x).shape == (1, 1, 35, 35)


def test_each_output_sees_a_70_pixel_patch():
    d = PatchGAN(1, width=4, norm="none").eval()
    for p in d.parameters():
        nn.init.constant_(p, 0.05) if p.dim() > 1 else nn.init.zeros_(p)
    x = torch.zeros(1, 1, 160, 160, requires_grad=True)
    out = d(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    rows = x.grad[0, 0].abs().sum(1).nonzero().flatten()
    assert rows.max() - rows.min() + 1 == 70
    assert receptive_field(3) == 70 and receptive_field(1) == 16


def test_widths_cap_and_biases():
    d = PatchGAN(3, width=16, num_downsamples=4, max_width=64, norm="instance")
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [16, 32, 64, 64, 64, 1]
    assert all(c.bias is not None for c in convs)  # instance norm: the normed convs keep their bias
    b = PatchGAN(3, width=16, norm="batch")
    assert [c.bias is None for c in b.modules() if isinstance(c, nn.Conv2d)] == [False, True, True, True, False]
    assert all(isinstance(m, nn.InstanceNorm2d) and not m.affine for m in d.modules()
               if isinstance(m, nn.modules.instancenorm._InstanceNorm))


def test_spade_variant_has_spectral_norm_and_no_normed_bias():
    d = PatchGAN(10, width=8, padding=2, norm="instance", spectral_norm=True, middle_bias=False)
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert all(has_spectral_norm(c) for c in convs)
    assert [c.bias is None for c in convs] == [False, True, True, True, False]
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())


def test_features_are_every_block_and_end_in_the_logits():
    torch.manual_seed(1)
    d = PatchGAN(3, width=8).eval()
    x = torch.randn(2, 3, 64, 64)
    feats = d.features(x)
    assert [f.shape[1] for f in feats] == [8, 16, 32, 64, 1]
    torch.testing.assert_close(feats[-1], d(x))
    conv = d.blocks[0][0]
    pre = torch.nn.functional.conv2d(x, conv.weight, conv.bias, stride=2, padding=1)
    torch.testing.assert_close(feats[0], torch.where(pre > 0, pre, 0.2 * pre))  # LeakyReLU(0.2), no norm


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="norm"):
        PatchGAN(3, norm="group")
    with pytest.raises(ValueError, match="num_downsamples"):
        PatchGAN(3, num_downsamples=0)
