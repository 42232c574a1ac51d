"""FID, IS, KID and precision/recall on given features: hand-checked cases, properties, and agreement with
pytorch-fid, torch-fidelity and torchmetrics on the same features."""
import numpy as np
import pytest
import torch

from zoo.metrics.frechet import FeatureStats, frechet_distance, frechet_distance_from_features, \
    frechet_distance_from_stats
from zoo.metrics.inception_score import inception_score
from zoo.metrics.kid import kernel_inception_distance
from zoo.metrics.precision_recall import precision_recall


def gaussian_features(n, d, seed, shift=0.0, scale=1.0):
    """n samples of one correlated Gaussian per (d, shift, scale); `seed` draws the samples."""
    mix = np.random.RandomState(d).randn(d, d) / np.sqrt(d)
    return (np.random.RandomState(seed).randn(n, d) @ mix) * scale + shift


def rel(a, b):
    return abs(a - b) / abs(b)


# -- FID -------------------------------------------------------------------------------------------
def test_fid_of_two_known_gaussians():
    # N(0, I) vs N(m, 4I) in d dims: |m|² + d(1 + 4 − 2·2) = |m|² + d
    d, m = 5, np.arange(5.0)
    assert frechet_distance(np.zeros(d), np.eye(d), m, 4 * np.eye(d)) == pytest.approx(m @ m + d, rel=1e-12)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pytorch-fid's own call into scipy
def test_fid_agrees_with_pytorch_fid_and_torchmetrics():
    fid_score = pytest.importorskip("pytorch_fid.fid_score")
    tm_fid = pytest.importorskip("torchmetrics.image.fid")
    a, b = gaussian_features(400, 32, 0), gaussian_features(300, 32, 1, shift=0.3, scale=1.2)
    ours = frechet_distance_from_features(a, b)
    mu_a, mu_b, s_a, s_b = a.mean(0), b.mean(0), np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    assert rel(ours, fid_score.calculate_frechet_distance(mu_a, s_a, mu_b, s_b)) < 1e-6
    theirs = tm_fid._compute_fid(*(torch.from_numpy(v) for v in (mu_a, s_a, mu_b, s_b))).item()
    assert rel(ours, theirs) < 1e-6


def test_fid_of_a_set_with_itself_is_zero_and_fid_is_symmetric():
    a, b = gaussian_features(100, 64, 2, shift=5.0), gaussian_features(80, 64, 3)  # N < D: singular
    assert abs(frechet_distance_from_features(a, a)) < 1e-8
    ab, ba = frechet_distance_from_features(a, b), frechet_distance_from_features(b, a)
    assert ab > 1 and abs(ab - ba) <= 1e-10 * ab


def test_fid_is_exact_for_singular_covariances():
    # both sets lie in the same 6-d subspace of 40-d space: the 40-d FID (singular covariances) must equal
    # the FID of their 6-d coordinates (full rank), which scipy's sqrtm handles well
    scipy_linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.RandomState(4)
    basis, _ = np.linalg.qr(rng.randn(40, 6))
    ca, cb = gaussian_features(200, 6, 5), gaussian_features(150, 6, 6, shift=0.5, scale=2.0)
    full = frechet_distance_from_features(ca @ basis.T, cb @ basis.T)
    sa, sb = np.cov(ca, rowvar=False), np.cov(cb, rowvar=False)
    diff = ca.mean(0) - cb.mean(0)
    exact = diff @ diff + np.trace(sa + sb - 2 * scipy_linalg.sqrtm(sa @ sb).real)
    assert rel(full, exact) < 1e-10


def test_streaming_statistics_equal_the_batch_ones_and_merge():
    f = gaussian_features(257, 16, 7, shift=1e4)  # a large offset: no cancellation allowed
    whole = FeatureStats(16).update(f)
    parts = FeatureStats(16)
    for chunk in np.array_split(f, 9):
        parts.update(torch.from_numpy(chunk))
    merged = FeatureStats(16).update(f[:100]).merge(FeatureStats(16).update(f[100:]))
    for stats in (parts, merged):
        assert stats.n == 257
        np.testing.assert_allclose(stats.mean, f.mean(0), rtol=1e-12)
        np.testing.assert_allclose(stats.cov, np.cov(f, rowvar=False), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(whole.cov, np.cov(f, rowvar=False), rtol=1e-9, atol=1e-9)
    restored = FeatureStats.from_arrays(whole.to_arrays())
    assert frechet_distance_from_stats(restored, whole) == pytest.approx(0, abs=1e-8)


def test_fid_refuses_bad_shapes():
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        FeatureStats(4).update(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="shapes differ"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


# -- IS --------------------------------------------------------------------------------------------
def test_inception_score_by_hand():
    # confident, evenly spread over K classes → K; identical predictions → 1
    k, per = 8, 10
    confident = torch.full((k * per, k), -30.0)
    confident[torch.arange(k * per), torch.arange(k * per) % k] = 30.0
    assert inception_score(confident, splits=1)[0] == pytest.approx(k, rel=1e-6)
    assert inception_score(torch.randn(1, 5).expand(50, 5), splits=5) == pytest.approx((1.0, 0.0), abs=1e-9)


def test_inception_score_agrees_with_torch_fidelity():
    isc = pytest.importorskip("torch_fidelity.metric_isc")
    logits = torch.from_numpy(gaussian_features(503, 1008, 8, scale=3.0)).float()
    for seed in (2020, None):
        mean, std = inception_score(logits, splits=10, shuffle_seed=seed)
        ref = isc.isc_features_to_metric(logits, splits=10, shuffle=seed is not None, rng_seed=2020 if seed else 0)
        assert rel(mean, ref["inception_score_mean"]) < 1e-5
        assert rel(std, ref["inception_score_std"]) < 1e-5


# -- KID -------------------------------------------------------------------------------------------
def test_kid_agrees_with_torch_fidelity():
    kid_ref = pytest.importorskip("torch_fidelity.metric_kid")
    a = torch.from_numpy(gaussian_features(300, 24, 9)).float()
    b = torch.from_numpy(gaussian_features(250, 24, 10, shift=0.2)).float()
    mean, std = kernel_inception_distance(a, b, subsets=20, subset_size=100)
    ref = kid_ref.kid_features_to_metric(a, b, kid_subsets=20, kid_subset_size=100, verbose=False, rng_seed=2020,
                                         kid_kernel="poly", kid_kernel_poly_degree=3, kid_kernel_poly_gamma=None,
                                         kid_kernel_poly_coef0=1)
    assert rel(mean, ref["kernel_inception_distance_mean"]) < 1e-5
    assert rel(std, ref["kernel_inception_distance_std"]) < 1e-5


def test_kid_agrees_with_torchmetrics_on_a_whole_set():
    tm_kid = pytest.importorskip("torchmetrics.image.kid")
    a = gaussian_features(120, 16, 11)
    b = gaussian_features(120, 16, 12, shift=0.3)
    mean, std = kernel_inception_distance(a, b, subsets=1, subset_size=120)  # one subset = the whole set
    theirs = tm_kid.poly_mmd(torch.from_numpy(a), torch.from_numpy(b)).item()
    assert rel(mean, theirs) < 1e-5 and std == 0


def test_kid_is_near_zero_for_one_distribution_and_positive_for_two():
    same = kernel_inception_distance(gaussian_features(400, 8, 13), gaussian_features(400, 8, 14),
                                     subsets=10, subset_size=200)[0]
    other = kernel_inception_distance(gaussian_features(400, 8, 13), gaussian_features(400, 8, 15, shift=1.0),
                                      subsets=10, subset_size=200)[0]
    assert abs(same) < 0.05 * other and other > 0


def test_kid_refuses_subsets_bigger_than_the_sets():
    with pytest.raises(ValueError, match="subset_size"):
        kernel_inception_distance(np.zeros((10, 3)), np.zeros((10, 3)), subset_size=1000)


# -- precision and recall ----------------------------------------------------------------------------
def test_precision_recall_by_hand():
    real = torch.tensor([[0.0], [1.0], [2.0], [3.0], [4.0]])
    # k = 1 radii of real: 1 each. Fakes at 0.5 (inside) and 10 (outside) → precision 1/2;
    # fake radii (k = 1): both 9.5, so every real point lies within 9.5 of the fake at 0.5 → recall 1
    fake = torch.tensor([[0.5], [10.0]])
    assert precision_recall(real, fake, k=1) == (0.5, 1.0)
    assert precision_recall(real, real, k=3) == (1.0, 1.0)


def test_precision_recall_agree_with_torch_fidelity():
    prc = pytest.importorskip("torch_fidelity.metric_prc")
    real = torch.from_numpy(gaussian_features(300, 10, 16)).float()
    fake = torch.from_numpy(gaussian_features(200, 10, 17, shift=0.4, scale=0.7)).float()
    ours = precision_recall(real, fake, k=3)
    theirs = prc.calculate_precision_recall_full(fake, real, neighborhood=3)  # (generated, real)
    assert ours == pytest.approx(theirs, abs=1e-6)  # the reference averages in float32
    assert 0 < ours[0] < 1 and 0 < ours[1] < 1
