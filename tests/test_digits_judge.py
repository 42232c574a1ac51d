"""The digits judge (shipped weights, checksum, input path) and the three scores computed with it."""
from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest
import torch

from zoo.data.digits import load_digits_tensors
from zoo.errors import ChecksumError, ShapeError, WeightsNotFoundError
from zoo.metrics import digits_judge
from zoo.metrics.digits_judge import DigitsJudge
from zoo.metrics.digits_scores import (conditional_accuracy, frechet_between, is_style_score, judge_model,
                                       judge_outputs)


@pytest.fixture(scope="module")
def judge():
    return DigitsJudge.pretrained()


@pytest.fixture(scope="module")
def val():
    return load_digits_tensors(32, "val")


@pytest.fixture(scope="module")
def val_outputs(judge, val):
    return judge_outputs(judge, val[0])


# -- the judge ------------------------------------------------------------------------------------
def test_shipped_judge_is_accurate_on_held_out_digits(val_outputs, val):
    _, logits = val_outputs
    accuracy = conditional_accuracy(logits, val[1])
    assert accuracy >= 0.97, f"held-out accuracy {accuracy:.4f}"


def test_shipped_weights_are_small_and_pinned():
    assert digits_judge.WEIGHTS_PATH.stat().st_size < 1_000_000
    assert len(digits_judge.WEIGHTS_SHA256) == 64


def test_tampered_weights_are_refused(tmp_path):
    tampered = tmp_path / "digits-judge.safetensors"
    shutil.copy(digits_judge.WEIGHTS_PATH, tampered)
    data = bytearray(tampered.read_bytes())
    data[-5] ^= 0x01  # one bit of one weight
    tampered.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="sha256 mismatch"):
        DigitsJudge.pretrained(path=tampered)
    with pytest.raises(WeightsNotFoundError, match="train_judge"):
        DigitsJudge.pretrained(path=tmp_path / "missing.safetensors")


def test_pretrained_judge_is_frozen_and_in_eval_mode(judge, val):
    assert not judge.training and not any(p.requires_grad for p in judge.parameters())
    x = val[0][:4]
    assert torch.equal(judge.logits(x), judge.logits(x))  # no dropout at evaluation


def test_features_and_logits_shapes(judge, val):
    x = val[0][:5]
    assert judge.features(x).shape == (5, judge.feature_dim)
    assert judge.logits(x).shape == (5, judge.num_classes) == (5, 10)
    feats, logits = judge.features_and_logits(x)
    torch.testing.assert_close(feats, judge.features(x))
    torch.testing.assert_close(logits, judge.logits(x))
    assert judge.name == "digits-judge" and judge.input_range == (-1.0, 1.0)


def test_other_resolutions_and_rgb_reach_the_judge_through_the_datasets_resize(judge, val):
    # 8 px digits upsampled inside the judge are the 32 px digits the dataset makes (up to float rounding)
    small, _ = load_digits_tensors(8, "val")
    torch.testing.assert_close(digits_judge.to_judge_input(small[:16]), val[0][:16], atol=1e-5, rtol=0)
    for resolution in (16, 64):
        images, labels = load_digits_tensors(resolution, "val")
        assert judge.logits(images).shape == (len(images), 10)
        accuracy = conditional_accuracy(judge.logits(images), labels)
        assert accuracy >= 0.95, f"{resolution} px: accuracy {accuracy:.3f}"
    rgb = val[0][:4].expand(-1, 3, -1, -1)
    torch.testing.assert_close(judge.logits(rgb), judge.logits(val[0][:4]))


def test_bad_input_is_refused_with_the_expected_shape(judge):
    with pytest.raises(ShapeError, match=r"\(N, C, H, W\)"):
        judge.features(torch.zeros(2, 32, 32))
    with pytest.raises(ShapeError, match="C in"):
        judge.logits(torch.zeros(2, 2, 32, 32))
    with pytest.raises(ShapeError, match="float"):
        judge.logits(torch.zeros(2, 1, 32, 32, dtype=torch.uint8))


def test_registered_as_a_feature_extractor():
    from zoo.metrics.extractors import FeatureExtractor, get_extractor

    extractor = get_extractor("digits-judge")
    assert isinstance(extractor, FeatureExtractor) and isinstance(extractor, DigitsJudge)


# -- the scores -----------------------------------------------------------------------------------
def test_frechet_of_real_digits_with_themselves_is_zero_and_with_noise_large(judge, val_outputs):
    feats, _ = val_outputs
    assert abs(frechet_between(feats, feats)) < 1e-6 * float(feats.var(0).sum())
    noise = torch.rand(len(feats), 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    noise_feats, _ = judge_outputs(judge, noise)
    train_feats, _ = judge_outputs(judge, load_digits_tensors(32, "train")[0])
    real_vs_real = frechet_between(feats, train_feats)
    assert frechet_between(feats, noise_feats) > 20 * real_vs_real > 0


def test_is_style_score_of_real_digits_is_near_ten_and_of_a_constant_image_one(judge, val_outputs):
    _, logits = val_outputs
    mean, _ = is_style_score(logits, splits=1)
    assert 8.5 < mean <= 10.0
    constant = judge.logits(torch.full((50, 1, 32, 32), 0.2))
    mean, std = is_style_score(constant, splits=5)
    assert mean == pytest.approx(1.0, abs=1e-6) and std == pytest.approx(0.0, abs=1e-6)


def test_conditional_accuracy_by_hand():
    logits = torch.tensor([[2.0, 0.0, 1.0], [0.0, 3.0, 1.0], [5.0, 0.0, 1.0], [0.0, 0.0, 9.0]])
    assert conditional_accuracy(logits, torch.tensor([0, 1, 2, 2])) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="labels"):
        conditional_accuracy(logits, torch.tensor([0, 1]))


class RealDigitsGenerator:
    """A stand-in for a class-conditional ZooModel that "generates" real held-out digits: those of the
    asked label (label_noise=False) or of a random label (label_noise=True, or no label asked)."""

    def __init__(self, label_noise: bool = False, value_range=(-1.0, 1.0)) -> None:
        self.images, self.labels = load_digits_tensors(32, "val")
        self.label_noise, self.value_range = label_noise, value_range
        self.sampler = SimpleNamespace(condition=SimpleNamespace(kind="class", num_classes=10),
                                       output=SimpleNamespace(value_range=value_range))

    def generate(self, n, *, seed=None, c=None):
        g = torch.Generator().manual_seed(seed or 0)
        asked = torch.randint(0, 10, (n,), generator=g) if self.label_noise or c is None else c
        out = []
        for y in asked.tolist():
            pool = torch.nonzero(self.labels == y).flatten()
            out.append(self.images[pool[torch.randint(len(pool), (1,), generator=g)]])
        low, high = self.value_range
        return (torch.cat(out) + 1) / 2 * (high - low) + low


def test_judge_model_on_a_generator_of_real_digits_matches_the_real_ceiling(judge):
    scores = judge_model(RealDigitsGenerator(value_range=(0.0, 1.0)), n=400, seed=1, judge=judge)
    real = scores["real"]
    assert real["judge_accuracy"] >= 0.97
    # drawn from the held-out digits themselves: as accurate as the judge, about as good an IS
    assert scores["conditional_accuracy"] == pytest.approx(real["judge_accuracy"], abs=0.03)
    assert scores["is"] == pytest.approx(real["is"], rel=0.15)
    # resampling the held-out digits is closer to them than the training split is
    assert scores["frechet"] < real["frechet_val_vs_train"]
    assert set(scores) >= {"frechet", "is", "is_std", "conditional_accuracy", "real"}


def test_conditional_accuracy_of_a_generator_ignoring_its_labels_is_chance(judge):
    scores = judge_model(RealDigitsGenerator(label_noise=True), n=600, seed=2, judge=judge)
    assert 0.05 < scores["conditional_accuracy"] < 0.15
    assert scores["is"] > 8  # still real, confident, balanced digits: only the labels are wrong


def test_unconditional_generators_get_no_conditional_accuracy(judge):
    model = RealDigitsGenerator()
    model.sampler.condition.kind = "none"
    assert "conditional_accuracy" not in judge_model(model, n=100, seed=0, judge=judge)
    with pytest.raises(ValueError, match="against"):
        judge_model(model, against="test", judge=judge)


# -- the training recipe --------------------------------------------------------------------------
def test_random_affine_without_jitter_is_the_identity_and_keeps_the_background():
    from zoo.metrics.train_judge import random_affine

    x, _ = load_digits_tensors(32, "val")
    x = x[:8]
    g = torch.Generator().manual_seed(0)
    same = random_affine(x, g, max_degrees=0, scale=(1, 1), max_shift_px=0, max_shear=0)
    torch.testing.assert_close(same, x, atol=1e-5, rtol=0)
    # a blob in the middle moves but keeps its ink; what comes in from outside is background (-1), not grey
    blob = torch.full((8, 1, 32, 32), -1.0)
    blob[:, :, 12:20, 12:20] = 1.0
    moved = random_affine(blob, g, max_shift_px=3)
    assert not torch.allclose(moved, blob)
    assert moved.min() >= -1 and moved.max() <= 1
    ink, moved_ink = (blob + 1).sum((1, 2, 3)), (moved + 1).sum((1, 2, 3))
    torch.testing.assert_close(moved_ink, ink, rtol=0.25, atol=0)  # scale 0.9-1.1 changes area by <= 21 %
    assert torch.all(moved[:, :, :2] == -1) and torch.all(moved[:, :, :, -2:] == -1)
