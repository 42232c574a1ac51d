"""Our networks against pip-installed peers (benchmarks/peers.py), same weights, input and settings.

Each peer is first checked to compute the same function as ours with the mapped weights, then both
are benchmarked in one group, so pytest-benchmark's table shows the two side by side.
"""
from __future__ import annotations

import pytest
import torch

from peers import PEERS, available, pair

INSTALLED = [p for p in PEERS if available(p)]


def _ids(peers):
    return [p.name for p in peers]


def test_every_registered_peer_is_installed_for_the_test_suite():
    # the peers are part of the `test` extra: a missing one is an install problem, not a skip
    missing = [p.package for p in PEERS if not available(p)]
    assert not missing, f"pip install {' '.join(missing)}"


@pytest.mark.parametrize("peer", INSTALLED, ids=_ids(INSTALLED))
def test_peer_computes_our_function_with_mapped_weights(peer):
    ours, theirs, z, z_peer = pair(peer, batch_size=3, randomize_norms=True)
    with torch.inference_mode():
        a, b = ours(z), theirs(z_peer)
    assert a.shape == b.shape
    assert a.std() > 0.05  # a varied output, so equality below means something
    torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-3)  # float32 sums in another order


@pytest.mark.parametrize("side", ["ours", "peer"])
@pytest.mark.parametrize("peer", INSTALLED, ids=_ids(INSTALLED))
def test_peer_benchmark(benchmark, mode, peer, side):
    ours, theirs, z, z_peer = pair(peer, batch_size=2 if mode == "quick" else 64)
    module, x = (ours, z) if side == "ours" else (theirs, z_peer)
    benchmark.group = f"peer: {peer.architecture} vs {peer.name}"
    benchmark.extra_info.update(peer=peer.name, side=side, batch_size=x.shape[0], dtype="fp32", device="cpu")

    def target():
        with torch.inference_mode():
            return module(x)

    rounds, warmup = (1, 0) if mode == "quick" else (20, 3)
    out = benchmark.pedantic(target, rounds=rounds, warmup_rounds=warmup, iterations=1)
    assert out.shape[0] == x.shape[0]
