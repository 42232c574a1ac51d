"""zoo.features.perceptual: the weighted feature loss, against activations taken by hand from the VGG19
stack by torchvision's indices (conv5_4 = features[34], relu5_4 = features[35], relu1_1 = features[1],
relu2_1 = features[6])."""
import pytest
import torch
import torch.nn.functional as F

from zoo.features.backbones import VGGFeatures
from zoo.features.perceptual import PIX2PIXHD_LAYERS, PIX2PIXHD_WEIGHTS, PerceptualLoss

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


@pytest.fixture(scope="module")
def vgg():
    torch.manual_seed(0)
    return VGGFeatures("vgg19")


def _by_index(vgg, images, index):
    x = ((images + 1) / 2 - MEAN) / STD
    return vgg.features[: index + 1](x)


def test_pre_activation_names_are_the_convolutions(vgg):
    x = torch.rand(1, 3, 32, 32)
    out = vgg(x, ("conv5_4", "relu5_4", "conv1_1"))
    torch.testing.assert_close(out["conv5_4"], vgg.features[:35](x))
    torch.testing.assert_close(out["relu5_4"], vgg.features[:36](x))
    assert out["conv5_4"].min() < 0  # before the activation
    assert set(vgg(x)) == {n for n in vgg.relu_names.values()}  # the default stays the ReLU outputs


def test_esrgan_loss_is_l1_before_activation(vgg):
    torch.manual_seed(1)
    fake, real = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 32, 32) * 2 - 1
    loss = PerceptualLoss(vgg, ("conv5_4",), criterion="l1")(fake, real)
    expected = (_by_index(vgg, fake, 34) - _by_index(vgg, real, 34)).abs().mean()
    torch.testing.assert_close(loss, expected)


def test_weighted_layers_and_mse(vgg):
    torch.manual_seed(2)
    fake, real = torch.rand(1, 3, 32, 32) * 2 - 1, torch.rand(1, 3, 32, 32) * 2 - 1
    loss = PerceptualLoss(vgg, ("relu1_1", "relu2_1"), (0.25, 2.0), criterion="mse")(fake, real)
    expected = (0.25 * F.mse_loss(_by_index(vgg, fake, 1), _by_index(vgg, real, 1))
                + 2.0 * F.mse_loss(_by_index(vgg, fake, 6), _by_index(vgg, real, 6)))
    torch.testing.assert_close(loss, expected)
    assert PIX2PIXHD_WEIGHTS == (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0) and len(PIX2PIXHD_LAYERS) == 5


def test_input_range_maps_to_unit_interval(vgg):
    x = torch.rand(1, 3, 32, 32)
    unit = PerceptualLoss(vgg, ("relu2_1",), input_range=(0.0, 1.0))
    signed = PerceptualLoss(vgg, ("relu2_1",))
    torch.testing.assert_close(unit(x, 1 - x), signed(2 * x - 1, 1 - 2 * x))


def test_only_the_fake_images_get_gradients(vgg):
    fake = torch.rand(1, 3, 32, 32, requires_grad=True)
    real = torch.rand(1, 3, 32, 32, requires_grad=True)
    PerceptualLoss(vgg, ("relu3_1",))(fake, real).backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0
    assert real.grad is None
    assert all(p.grad is None and not p.requires_grad for p in vgg.parameters())


def test_trunk_stays_in_eval_mode_and_bad_settings_fail(vgg):
    loss = PerceptualLoss(vgg, ("relu1_1",)).train()
    assert not loss.trunk.training
    with pytest.raises(ValueError, match="criterion"):
        PerceptualLoss(vgg, ("relu1_1",), criterion="huber")
    with pytest.raises(ValueError, match="weights"):
        PerceptualLoss(vgg, ("relu1_1",), (1.0, 2.0))
    with pytest.raises(ValueError, match="shape"):
        PerceptualLoss(vgg, ("relu1_1",))(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 16, 16))
