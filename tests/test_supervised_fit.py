"""zoo.metrics.supervised_fit.fit: the loop that trains the shipped voxel judge and layouts segmenter."""
import torch
import torch.nn.functional as F
from torch import nn

from zoo.metrics.supervised_fit import fit


def _blobs(n, generator):
    labels = torch.randint(2, (n,), generator=generator)
    points = torch.randn(n, 2, generator=generator) * 0.3 + (labels[:, None] * 2 - 1) * 1.5
    return points, labels


def test_a_classifier_learns_and_each_epoch_is_reported():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x, y = _blobs(256, g)
    vx, vy = _blobs(128, g)
    net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 2))
    modes = []

    def accuracy():
        modes.append(net.training)
        return (net(vx).argmax(1) == vy).float().mean().item()

    before = accuracy()
    reports = []
    last = fit(net, 256, lambda idx: F.cross_entropy(net(x[idx]), y[idx]), accuracy, epochs=4, batch_size=32,
               lr=1e-2, generator=g, report=lambda epoch, loss, acc: reports.append((epoch, loss, acc)))
    assert [r[0] for r in reports] == [0, 1, 2, 3]
    assert last == reports[-1][2] and last == 1.0 and before < 0.9
    assert reports[-1][1] < reports[0][1]
    assert modes[1:] == [False] * 4 and not net.training  # evaluated and returned in eval mode


def test_learning_rate_decays_to_zero_on_a_cosine():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    w = nn.Parameter(torch.zeros(1))
    net = nn.Module()
    net.w = w

    def batch_loss(idx):
        return (w * len(idx)).sum()  # constant gradient len(idx): Adam steps of ~lr each

    values = []
    fit(net, 40, batch_loss, lambda: values.append(w.item()), epochs=1, batch_size=10, lr=1.0, generator=g,
        report=lambda *a: None)
    # 4 steps at lr·½(1 + cos(π s / 4)), s = 0..3: Adam's first steps move by ~lr each (sign of the gradient)
    expected = -sum(0.5 * (1 + torch.cos(torch.tensor(torch.pi * s / 4))).item() for s in range(4))
    assert abs(w.item() - expected) < 1e-3, (w.item(), expected)
