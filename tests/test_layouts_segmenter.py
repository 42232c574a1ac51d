"""The layouts segmenter (zoo/metrics/layouts_segmenter.py) and the synthesis scores built on it
(zoo/metrics/synthesis_scores.py): mIoU and pixel accuracy by hand, the shipped weights' held-out scores,
and checks that the scores reject what they are there to catch (renders of other maps, noise)."""
import pytest
import torch

from zoo.data.layouts import Layouts
from zoo.errors import ChecksumError, ShapeError
from zoo.metrics.extractors import get_extractor
from zoo.metrics.layouts_segmenter import LayoutsSegmenter
from zoo.metrics.synthesis_scores import confusion_matrix, frechet_between, score_images, segmentation_scores


def test_confusion_matrix_and_scores_by_hand():
    # true:  0 0 1 1      pred: 0 1 1 1      class 2 absent from both
    true = torch.tensor([[0, 0], [1, 1]])
    pred = torch.tensor([[0, 1], [1, 1]])
    cm = confusion_matrix(pred, true, 3)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [0, 0, 0]]
    scores = segmentation_scores(cm)
    # IoU_0 = 1 / (1 + 1) = 0.5; IoU_1 = 2 / 3; class 2 left out of the mean
    assert scores["miou"] == pytest.approx((0.5 + 2 / 3) / 2)
    assert scores["pixel_accuracy"] == pytest.approx(3 / 4)
    assert scores["class_iou"] == [0.5, round(2 / 3, 4), None]


def test_miou_sums_counts_over_the_set_not_per_image():
    # image A: class 0 everywhere, predicted right; image B: 1 pixel of class 1 predicted 0, 3 of class 0
    true = torch.tensor([[[0, 0], [0, 0]], [[1, 0], [0, 0]]])
    pred = torch.zeros_like(true)
    scores = segmentation_scores(confusion_matrix(pred, true, 2))
    # class 0: inter 7, union 8; class 1: inter 0, union 1  -> (7/8 + 0) / 2
    assert scores["miou"] == pytest.approx(7 / 16)
    with pytest.raises(ValueError, match="differ in shape"):
        confusion_matrix(pred[:1], true, 2)


@pytest.fixture(scope="module")
def segmenter():
    return LayoutsSegmenter.pretrained()


@pytest.fixture(scope="module")
def val():
    return Layouts(64, "val", size=64).tensors()


def test_shipped_segmenter_reads_real_renders(segmenter, val):
    """The ceiling: on held-out renders it finds the label maps (0.985 mIoU on all 600; ≥ 0.95 on 64)."""
    scores, feats = score_images(val["image"], val["label_map"], segmenter)
    assert scores["miou"] > 0.95 and scores["pixel_accuracy"] > 0.98
    assert feats.shape == (64, 96)
    # the same renders judged against other scenes' maps score far lower: the score needs the right layout
    shuffled, _ = score_images(val["image"], val["label_map"].roll(1, 0), segmenter)
    assert shuffled["miou"] < 0.6


def test_fid_features_tell_renders_from_noise_and_flat_colour(segmenter, val):
    other = Layouts(64, "train", seed=2, size=64).tensors()
    _, a = score_images(val["image"], val["label_map"], segmenter)
    _, b = score_images(other["image"], other["label_map"], segmenter)
    g = torch.Generator().manual_seed(0)
    _, noise = score_images(torch.rand(64, 3, 64, 64, generator=g) * 2 - 1, val["label_map"], segmenter)
    # flat images of each scene's mean colour: the layout's colours without its textures
    flat = val["image"].mean((2, 3), keepdim=True).expand(-1, -1, 64, 64).contiguous()
    _, flat_f = score_images(flat, val["label_map"], segmenter)
    real_fid = frechet_between(a, b)
    assert real_fid < frechet_between(a, noise) / 10
    assert real_fid < frechet_between(a, flat_f) / 10


def test_extractor_by_name_and_input_sizes(segmenter, val):
    ex = get_extractor("layouts-segmenter")
    assert ex.feature_dim == 96 and ex.num_classes is None
    x = val["image"][:4]
    torch.testing.assert_close(ex.features(x), segmenter.features(x))
    big = torch.nn.functional.interpolate(x, size=(128, 128), mode="nearest")  # 128 px renders are shrunk
    assert segmenter.segment(big).shape == (4, 64, 64)
    with pytest.raises(ShapeError, match=r"\(N, C, H, W\) with C in \(3,\)"):
        segmenter.features(torch.zeros(2, 1, 64, 64))


def test_weights_are_checked(tmp_path):
    from zoo.metrics.layouts_segmenter import WEIGHTS_PATH

    bad = tmp_path / "seg.safetensors"
    data = bytearray(WEIGHTS_PATH.read_bytes())
    data[-1] ^= 1
    bad.write_bytes(bytes(data))
    with pytest.raises(ChecksumError):
        LayoutsSegmenter.pretrained(bad)


def test_features_and_segments_in_one_pass_equal_the_two_separate_calls():
    torch.manual_seed(0)
    segmenter = LayoutsSegmenter().eval()
    images = torch.rand(3, 3, 64, 64) * 2 - 1
    feats, maps = segmenter.features_and_segments(images)
    with torch.no_grad():
        torch.testing.assert_close(feats, segmenter.features(images), rtol=0, atol=0)
    assert torch.equal(maps, segmenter.segment(images)) and maps.shape == (3, 64, 64)
