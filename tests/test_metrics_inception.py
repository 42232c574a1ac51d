"""The FID Inception network and its preprocessing, checked against pytorch-fid and torch-fidelity with the
same (seeded random) weights mapped by name: the real weight file cannot be downloaded here."""
import hashlib
import math

import pytest
import torch

from zoo.errors import ChecksumError, ShapeError, WeightsNotFoundError
from zoo.metrics import extractor_weights
from zoo.metrics.extractors import InceptionExtractor, get_extractor
from zoo.metrics.inception import FIDInceptionV3, seeded_random_inception
from zoo.metrics.resize import resize

pytorch_fid_inception = pytest.importorskip("pytorch_fid.inception")


@pytest.fixture(scope="module")
def net():
    return seeded_random_inception(0)


@pytest.fixture(scope="module")
def pytorch_fid_model(net):
    """pytorch-fid's InceptionV3 (its FIDInceptionA/C/E blocks) loaded with our state dict instead of the
    downloaded file."""
    original = pytorch_fid_inception.load_state_dict_from_url
    pytorch_fid_inception.load_state_dict_from_url = lambda *a, **k: net.state_dict()
    try:
        return pytorch_fid_inception.InceptionV3([3]).eval()
    finally:
        pytorch_fid_inception.load_state_dict_from_url = original


def uint8_images(n, size, seed=0, channels=3):
    """Random images already on the 256-level grid, as floats in [-1, 1] and as uint8."""
    g = torch.Generator().manual_seed(seed)
    u8 = torch.randint(0, 256, (n, channels, size, size), generator=g, dtype=torch.uint8)
    return u8.float() / 127.5 - 1, u8


def rel_err(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


def test_state_dict_matches_the_pt_inception_file_layout_key_for_key():
    ours = FIDInceptionV3().state_dict()
    original = pytorch_fid_inception.load_state_dict_from_url
    pytorch_fid_inception.load_state_dict_from_url = lambda *a, **k: ours
    try:
        bare = pytorch_fid_inception.fid_inception_v3()  # strict load_state_dict of our keys: must not raise
    finally:
        pytorch_fid_inception.load_state_dict_from_url = original
    assert set(bare.state_dict()) == set(ours)
    assert all(bare.state_dict()[k].shape == v.shape for k, v in ours.items())
    assert len(ours) == 566  # the published file holds 566 tensors
    assert ours["fc.weight"].shape == (1008, 2048)


def test_network_features_agree_with_pytorch_fid(net, pytorch_fid_model):
    x = torch.randn(2, 3, 96, 96)  # the network part only; small input keeps it fast
    pytorch_fid_model.resize_input = pytorch_fid_model.normalize_input = False
    try:
        with torch.no_grad():
            theirs = pytorch_fid_model(x)[0].flatten(1)
            ours = net.pool_features(x)
    finally:
        pytorch_fid_model.resize_input = pytorch_fid_model.normalize_input = True
    assert ours.shape == (2, 2048)
    assert ours.std() > 1e-3  # the random weights produce non-trivial features
    assert rel_err(ours, theirs) < 1e-4


def test_pytorch_fid_preset_end_to_end_at_299(net, pytorch_fid_model):
    images, u8 = uint8_images(2, 32)
    extractor = InceptionExtractor(net, preset="pytorch-fid")
    with torch.no_grad():
        ours = extractor.features(images)
        theirs = pytorch_fid_model(u8.float() / 255)[0].flatten(1)  # pytorch-fid takes [0, 1]
    assert rel_err(ours, theirs) < 1e-4


def test_tf_preset_end_to_end_agrees_with_torch_fidelity(net, tmp_path):
    fidelity = pytest.importorskip("torch_fidelity.feature_extractor_inceptionv3")
    path = tmp_path / "weights.pth"
    torch.save(net.state_dict(), path)
    reference = fidelity.FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased"],
                                                     feature_extractor_weights_path=str(path))
    images, u8 = uint8_images(2, 40, seed=1)
    extractor = InceptionExtractor(net)  # default preset "tf"
    with torch.no_grad():
        feats, logits = extractor.features_and_logits(images)
        ref_feats, ref_logits = reference(u8)
    assert rel_err(feats, ref_feats) < 1e-4
    assert rel_err(logits, ref_logits) < 1e-4
    assert logits.shape == (2, 1008)


def test_tf1_resize_matches_torch_fidelitys_tensorflow_resize():
    compat = pytest.importorskip("torch_fidelity.interpolate_compat_tensorflow")
    x = torch.rand(2, 3, 17, 23) * 255
    for size in ((299, 299), (8, 40)):
        ours = resize(x, size, "tf1-bilinear")
        theirs = compat.interpolate_bilinear_2d_like_tensorflow1x(x, size=size, align_corners=False)
        assert torch.allclose(ours, theirs, atol=1e-4, rtol=0)
    # and it is not the half-pixel PyTorch filter (the pitfall is real)
    assert not torch.allclose(resize(x, (299, 299), "bilinear"), resize(x, (299, 299), "tf1-bilinear"), atol=1e-2)


def test_logits_are_unbiased_by_default_and_grey_images_are_repeated(net):
    feats = torch.rand(3, 2048)
    assert torch.allclose(net.logits(feats), feats @ net.fc.weight.T)
    assert torch.allclose(net.logits(feats, bias=True), feats @ net.fc.weight.T + net.fc.bias)
    grey = torch.rand(1, 1, 75, 75) * 2 - 1
    extractor = InceptionExtractor(net)
    assert torch.equal(extractor.prepare(grey), extractor.prepare(grey.expand(-1, 3, -1, -1)))


def test_quantize_rounds_to_256_levels_unless_disabled(net):
    x = torch.full((1, 3, 8, 8), 0.1234)
    on, off = InceptionExtractor(net).prepare(x), InceptionExtractor(net, quantize=False).prepare(x)
    level = math.floor((0.1234 + 1) * 127.5 + 0.5)
    assert torch.allclose(on, torch.full_like(on, (level - 128) / 128))
    assert torch.allclose(off, torch.full_like(off, ((0.1234 + 1) * 127.5 - 128) / 128))
    assert not torch.allclose(on, off)


def test_bad_inputs_are_refused_with_the_expected_shape(net):
    extractor = InceptionExtractor(net)
    with pytest.raises(ShapeError, match=r"\(N, C, H, W\)"):
        extractor.features(torch.rand(3, 32, 32))
    with pytest.raises(ShapeError, match="float"):
        extractor.features(torch.zeros(1, 3, 32, 32, dtype=torch.uint8))
    with pytest.raises(ValueError, match="preset"):
        InceptionExtractor(net, preset="nope")


def test_weight_file_is_pinned_and_a_wrong_file_is_refused(tmp_path, monkeypatch):
    entry = extractor_weights.EXTRACTOR_WEIGHTS["inception-fid"]
    assert entry.filename == "pt_inception-2015-12-05-6726825d.pth"
    assert entry.sha256.startswith("6726825d")  # torch.hub names files by their sha256 prefix
    fake = tmp_path / entry.filename
    fake.write_bytes(b"not the weights")
    monkeypatch.setenv("GENZOO_INCEPTION_WEIGHTS", str(fake))
    with pytest.raises(ChecksumError, match="sha256"):
        extractor_weights.resolve_weights("inception-fid")


def test_missing_weights_offline_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("GENZOO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("GENZOO_INCEPTION_WEIGHTS", raising=False)
    with pytest.raises(WeightsNotFoundError, match="pt_inception-2015-12-05-6726825d.pth"):
        get_extractor("inception-fid")


def test_a_verified_copy_in_the_cache_is_found(tmp_path, monkeypatch):
    monkeypatch.setenv("GENZOO_CACHE_DIR", str(tmp_path))
    payload = b"stand-in weights"
    monkeypatch.setitem(extractor_weights.EXTRACTOR_WEIGHTS, "inception-fid", extractor_weights.ExtractorWeights(
        name="inception-fid", filename="w.pth", sha256=hashlib.sha256(payload).hexdigest(),
        url="https://example.invalid/w.pth", size=len(payload), origin="test"))
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "w.pth").write_bytes(payload)
    assert extractor_weights.resolve_weights("inception-fid") == tmp_path / "weights" / "w.pth"


def test_weights_records_are_validated():
    with pytest.raises(ValueError, match="sha256"):
        extractor_weights.ExtractorWeights(name="x", filename="x.pth", sha256="abc", url="https://a/x",
                                           size=1, origin="")


def test_timm_backbone_stands_in():
    pytest.importorskip("timm")
    extractor = get_extractor("timm:test_resnet", pretrained=False)
    images = torch.rand(2, 1, 32, 32) * 2 - 1
    feats, logits = extractor.features_and_logits(images)
    assert feats.shape == (2, extractor.feature_dim) and logits.shape == (2, extractor.num_classes)
    assert extractor.name == "timm:test_resnet"


def test_tf32_is_a_visible_switch_restored_afterwards():
    from zoo.metrics.extractors import tf32

    before = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    with tf32(True):
        assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32
    with tf32(False):
        assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
    assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == before
    assert InceptionExtractor(seeded_random_inception(0)).allow_tf32 is False  # the references' full fp32
