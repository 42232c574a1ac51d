"""Our BigGAN-deep against pytorch-pretrained-biggan in one process: the same weights (the port's model
with random weights, converted by zoo_plugins.biggan.convert), the same z, class vectors and truncation,
timed alternately (ABAB, so a shared CPU's drift hits both alike) with zoo.bench's timers.

    python -m zoo_plugins.biggan.peer_bench --resolution 128,256 --dtype fp32,bf16 --batch-size 1,16 \\
        --json benchmarks/results/biggan-peer-cpu.json

The 128 px layout is the port's default BigGANConfig (= biggan-deep-128's config.json); 256 px adds two
blocks at 128 channels' width as biggan-deep-256's config.json does. Speed does not depend on the
weights' values, so no download is needed. `--channels-last` and `--compile` apply to ours only.
"""
from __future__ import annotations

import argparse
import sys

# [upsample, in, out] per block in units of channel_width; attention before block 8 (64x64) in both
LAYERS = {
    128: [(False, 16, 16), (True, 16, 16), (False, 16, 16), (True, 16, 8), (False, 8, 8), (True, 8, 4),
          (False, 4, 4), (True, 4, 2), (False, 2, 2), (True, 2, 1)],
    256: [(False, 16, 16), (True, 16, 16), (False, 16, 16), (True, 16, 8), (False, 8, 8), (True, 8, 8),
          (False, 8, 4), (True, 4, 4), (False, 4, 2), (True, 2, 2), (False, 2, 1), (True, 1, 1)],
}


def settle_spectral_norm(model, iterations: int = 20) -> None:
    """Power-iterate every spectral-norm u, v (as training would have): with random u, v σ is a random
    number and a deep network's activations overflow to NaN."""
    import torch.nn.functional as F

    for module in model.modules():
        if hasattr(module, "weight_u"):
            w = module.weight_orig.flatten(1)
            u, v = module.weight_u, module.weight_v
            for _ in range(iterations):
                v.copy_(F.normalize(w.t() @ u, dim=0, eps=1e-12))
                u.copy_(F.normalize(w @ v, dim=0, eps=1e-12))


def pair(resolution: int, seed: int = 0, channel_width: int = 128, num_classes: int = 1000):
    """(ours, theirs) in eval mode with the same random weights."""
    import torch
    from pytorch_pretrained_biggan import BigGAN, BigGANConfig

    from zoo_plugins.biggan.convert import convert_state, our_config
    from zoo_plugins.biggan.networks import BigGANGenerator

    torch.manual_seed(seed)
    config = BigGANConfig(output_dim=resolution, channel_width=channel_width, num_classes=num_classes,
                          layers=LAYERS[resolution], attention_layer_position=8)
    theirs = BigGAN(config)
    with torch.no_grad():
        for name, buffer in theirs.named_buffers():
            if name.endswith("running_vars"):
                buffer.uniform_(0.5, 2.0)
        for name, param in theirs.named_parameters():
            if name.startswith("generator.bn."):  # uninitialised in the port
                param.fill_(1.0 if name.endswith("weight") else 0.0)
        settle_spectral_norm(theirs)
    theirs.eval()
    cfg = our_config(config.to_dict())
    ours = BigGANGenerator(**cfg)
    ours.load_state_dict(convert_state(theirs.state_dict(), cfg), strict=True)
    return ours.eval(), theirs


def compare(resolution: int, batch_size: int, dtype: str, *, warmup: int = 1, iters: int = 3, rounds: int = 3,
            channels_last: bool = False, compile_mode: str | None = None, truncation: float = 0.5) -> dict:
    import torch

    from zoo.bench.peer_timing import time_against_peer

    dt = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]
    ours, theirs = pair(resolution)
    ours, theirs = ours.to(dt), theirs.to(dt)
    if channels_last:
        ours = ours.to(memory_format=torch.channels_last)
    gen = torch.Generator().manual_seed(1)
    z = (ours.sample_latent(batch_size, generator=gen, truncation=truncation)).to(dt)
    classes = torch.nn.functional.one_hot(torch.randint(1000, (batch_size,), generator=gen), 1000).to(dt)
    run_ours = lambda: ours.synthesize(z, classes, truncation)  # noqa: E731
    if compile_mode:
        compiled = torch.compile(ours.synthesize, mode=None if compile_mode == "default" else compile_mode)
        run_ours = lambda: compiled(z, classes, truncation)  # noqa: E731
    run_theirs = lambda: theirs(z, classes, truncation)  # noqa: E731
    with torch.inference_mode():
        diff = (run_ours().float() - run_theirs().float()).abs().max().item()
        timing = time_against_peer(run_ours, run_theirs, batch_size, warmup=warmup, iters=iters, rounds=rounds)
    return {"resolution": resolution, "batch_size": batch_size, "dtype": dtype, "device": "cpu",
            "threads": torch.get_num_threads(), "channels_last": channels_last, "compile": compile_mode,
            "truncation": truncation, "max_abs_output_difference": diff, **timing}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="biggan (deep) against pytorch-pretrained-biggan, same weights")
    parser.add_argument("--resolution", default="128,256")
    parser.add_argument("--dtype", default="fp32,bf16")
    parser.add_argument("--batch-size", default="1,16")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--compile", default=None)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    results = []
    for res in (int(r) for r in args.resolution.split(",")):
        for dtype in args.dtype.split(","):
            for bs in (int(b) for b in args.batch_size.split(",")):
                r = compare(res, bs, dtype, warmup=args.warmup, iters=args.iters, rounds=args.rounds,
                            channels_last=args.channels_last, compile_mode=args.compile)
                results.append(r)
                print(f"biggan deep-{res} {dtype} batch {bs}: ours {r['ours_samples_per_s']:.3f}/s, peer "
                      f"{r['peer_samples_per_s']:.3f}/s, ratio {r['ratio_ours_over_peer']:.3f}, "
                      f"max |diff| {r['max_abs_output_difference']:.2e}", flush=True)
    if args.json:
        from zoo.bench.peer_timing import write_peer_report

        write_peer_report(args.json, "python -m zoo_plugins.biggan.peer_bench " + " ".join(
            argv if argv is not None else sys.argv[1:]), "pytorch-pretrained-biggan", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
