"""Side by side with a peer: another pip-installable implementation of one of our networks, run in
the same process with the same weights (mapped), the same input and the same settings.

A peer is a few lines: which of our architectures and config it matches, the pip package, how to
build it with our weights mapped in, and how it takes our input. Register it in PEERS below.

Peers surveyed (PyPI, read with the code search, Nov 2026):
- dcgan-pytorch 0.2.0 (Lornatang): the PyTorch-examples DCGAN generator, 64 px, 512-256-128-64
  channels, 4×4 kernels, torch as the only dependency. Our `dcgan` matches it exactly with
  g_width=64, kernel_size=4 (our projection is a Linear, theirs a 4×4 transposed convolution of a
  1×1 map: the same linear map). REGISTERED.
- torchgan 0.1.0: DCGANGenerator is the same network with a configurable size, but importing
  torchgan pulls torchvision, scipy and wget through its package __init__, and its default
  LeakyReLU generator differs from the paper; not registered (it could be, with nonlinearity=ReLU).
- gan-pytorch 0.4.0 and pytorch-gan-zoo 0.0.6: MLP generators with batch norm / LeakyReLU / tanh,
  not Goodfellow 2014's ReLU-sigmoid MLP, so no same-network peer exists for our `gan`.

Run: `python benchmarks/peers.py --batch-size 1,64 --json benchmarks/results/peers-cpu-DATE.json`.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping


@dataclass(frozen=True)
class Peer:
    name: str  # short label, e.g. "dcgan-pytorch"
    architecture: str  # ours
    package: str  # pip distribution name (for messages)
    module: str  # import name, checked before building
    config: Mapping[str, Any] = field(default_factory=dict)  # our config that matches the peer's layout
    build: Callable[[Any], Any] = None  # our generator -> the peer's module with our weights loaded
    to_input: Callable[[Any], Any] = lambda z: z  # our latent -> the peer's input layout


def _dcgan_pytorch(ours):
    """dcgan_pytorch.Generator with our DCGAN generator's weights (g_width=64, kernel_size=4)."""
    import torch
    from dcgan_pytorch import Generator
    from dcgan_pytorch.utils import GlobalParams
    from torch import nn

    peer = Generator(GlobalParams(noise=ours.latent.shape[0], channels=ours.output.shape[0],
                                  image_size=ours.output.shape[1]))
    kinds = (nn.Linear, nn.ConvTranspose2d, nn.BatchNorm2d)
    mine = [m for m in ours.modules() if isinstance(m, kinds)]
    theirs = [m for m in peer.modules() if isinstance(m, kinds)]
    if len(mine) != len(theirs):
        raise ValueError(f"layer lists differ: ours {len(mine)}, dcgan-pytorch {len(theirs)}")
    with torch.no_grad():
        for a, b in zip(mine, theirs):
            if isinstance(a, nn.Linear):  # z -> (C, 4, 4) projection == ConvTranspose2d(k=4) of a 1x1 map
                c = b.weight.shape[1]
                b.weight.copy_(a.weight.view(c, 4, 4, -1).permute(3, 0, 1, 2))
            elif isinstance(a, nn.BatchNorm2d):
                b.load_state_dict(a.state_dict())
            else:
                b.weight.copy_(a.weight)
                if a.bias is not None:  # their output layer has no bias: ours must be zero to compare
                    if a.bias.abs().max() > 0:
                        raise ValueError("our output bias is non-zero; dcgan-pytorch has none")
    return peer


PEERS: tuple[Peer, ...] = (
    Peer(name="dcgan-pytorch", architecture="dcgan", package="dcgan-pytorch", module="dcgan_pytorch",
         config={"latent_dim": 100, "resolution": 64, "channels": 3, "g_width": 64, "kernel_size": 4},
         build=_dcgan_pytorch, to_input=lambda z: z[:, :, None, None]),
)


def available(peer: Peer) -> bool:
    try:
        importlib.import_module(peer.module)
        return True
    except ImportError:
        return False


def pair(peer: Peer, batch_size: int, seed: int = 0, randomize_norms: bool = False):
    """(ours, theirs, our input, their input): eval mode, same weights, same latent.

    `randomize_norms` gives our batch norms random running statistics before the mapping (an untrained
    DCGAN's outputs are nearly zero; this makes the equality check exercise every buffer).
    """
    import torch

    from zoo import api

    model = api.create(peer.architecture, config=dict(peer.config))
    ours = model.generator.eval()
    if randomize_norms:
        gen = torch.Generator().manual_seed(seed + 1)
        for m in ours.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.01)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) * 0.02 + 0.01)
    theirs = peer.build(ours).eval()
    z = ours.latent.sample(batch_size, generator=torch.Generator().manual_seed(seed))
    return ours, theirs, z, peer.to_input(z)


def compare(peer: Peer, batch_size: int, *, warmup: int = 1, iters: int = 5, rounds: int = 10) -> dict[str, Any]:
    """Time ours and the peer alternately (ABAB..., so a shared CPU's drift hits both alike)."""
    import torch

    from zoo.bench.flops import count_flops
    from zoo.bench.peer_timing import time_against_peer

    ours, theirs, z, z_peer = pair(peer, batch_size)
    with torch.inference_mode():
        diff = (ours(z) - theirs(z_peer)).abs().max().item()
        flops = [count_flops(lambda m=m, x=x: m(x)) / batch_size for m, x in ((ours, z), (theirs, z_peer))]
        timing = time_against_peer(lambda: ours(z), lambda: theirs(z_peer), batch_size,
                                   warmup=warmup, iters=iters, rounds=rounds)
    return {"peer": peer.name, "architecture": peer.architecture, "config": dict(peer.config),
            "batch_size": batch_size, "device": "cpu", "dtype": "fp32", "threads": torch.get_num_threads(),
            "max_abs_output_difference": diff, "flops_per_sample": {"ours": flops[0], "peer": flops[1]},
            **timing}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="compare our generators with pip-installed peers")
    parser.add_argument("--batch-size", default="1,64")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    results = []
    for peer in PEERS:
        if not available(peer):
            print(f"{peer.name}: not installed (pip install {peer.package})", file=sys.stderr)
            continue
        for bs in (int(b) for b in args.batch_size.split(",")):
            r = compare(peer, bs, warmup=args.warmup, iters=args.iters, rounds=args.rounds)
            results.append(r)
            print(f"{peer.architecture} vs {peer.name} batch {bs}: ours {r['ours_samples_per_s']:,.1f}/s, "
                  f"peer {r['peer_samples_per_s']:,.1f}/s, ratio {r['ratio_ours_over_peer']:.3f}, "
                  f"max |diff| {r['max_abs_output_difference']:.2e}")
    if args.json:
        from zoo.bench.peer_timing import write_peer_report

        write_peer_report(args.json, "python benchmarks/peers.py " + " ".join(argv or sys.argv[1:]), "the peer", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
