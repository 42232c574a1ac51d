"""Our StyleGAN2 generator against NVlabs' reference network (stylegan2-ada-pytorch's training/networks.py)
with the same weights, in one process: the same z, ψ = 1 and the fixed ("const") noise, timed alternately
(ABAB, so a shared machine's drift hits both alike) with zoo.bench's timers.

    python -m zoo_plugins.stylegan2.peer_bench --reference /path/to/stylegan2-ada-pytorch \\
        --resolution 256,1024 --dtype fp32,bf16 --batch-size 1,16 --json benchmarks/results/stylegan2-peer-cpu.json

The reference code is imported from the checkout given (NVlabs publish no package; nothing of it is copied
here). Its network is built at config F (z = w = 512, 8 mapping layers, channel_base 32768, channel_max 512,
conv_clamp 256; num_fp16_res 0, so both run the dtype asked for), with random weights (speed does not depend
on their values), converted by zoo_plugins.stylegan2.convert for ours, and the two outputs are compared before
timing. bf16 runs both under torch.autocast. On a GPU the reference runs its PyTorch ("ref") ops: its CUDA
plugins (bias_act, upfirdn2d) are not compiled, so the numbers compare the two PyTorch formulations.
`--channels-last` and `--compile` apply to ours only.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import types
from pathlib import Path

CONFIG_F = {"z_dim": 512, "w_dim": 512, "mapping_layers": 8, "channel_base": 32768, "channel_max": 512,
            "conv_clamp": 256}


def import_reference(reference: Path):
    """NVlabs' Generator class, with its CUDA plugins switched off (their `_init` reports no plugin)."""
    sys.path.insert(0, str(reference))
    sys.modules.setdefault("requests", types.ModuleType("requests"))  # dnnlib.util imports it for URLs only
    from torch_utils.ops import bias_act, upfirdn2d
    from training.networks import Generator

    bias_act._init = upfirdn2d._init = lambda: False
    return Generator


def pair(reference_generator, resolution: int, seed: int = 0):
    """(our generator, NVlabs' generator), eval mode, fp32, the same random weights."""
    import torch

    from zoo import api
    from zoo_plugins.stylegan2.convert import sg2ada_generator_state

    torch.manual_seed(seed)
    theirs = reference_generator(
        z_dim=CONFIG_F["z_dim"], c_dim=0, w_dim=CONFIG_F["w_dim"], img_resolution=resolution, img_channels=3,
        mapping_kwargs={"num_layers": CONFIG_F["mapping_layers"]},
        synthesis_kwargs={"channel_base": CONFIG_F["channel_base"], "channel_max": CONFIG_F["channel_max"],
                          "num_fp16_res": 0, "conv_clamp": CONFIG_F["conv_clamp"]}).eval()
    with torch.no_grad():  # biases, noise strengths and w_avg start at 0: random values exercise them
        g = torch.Generator().manual_seed(seed + 1)
        for p in theirs.parameters():
            if p.dim() <= 1:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)
        theirs.mapping.w_avg.copy_(torch.randn(theirs.mapping.w_avg.shape, generator=g) * 0.1)
    model = api.create("stylegan2", config={**CONFIG_F, "resolution": resolution, "channels": 3})
    ours = model.components["generator"]
    ours.load_state_dict(sg2ada_generator_state(theirs.state_dict(), resolution), strict=True)
    return ours.eval(), theirs


def compare(ours, theirs, resolution: int, batch_size: int, dtype: str, *, device: str = "cpu",
            warmup: int = 1, iters: int = 3, rounds: int = 2, channels_last: bool = False,
            compile_mode: str | None = None) -> dict:
    """Time one (dtype, batch size) row of a `pair`; bf16 runs under autocast, so the fp32 weights serve every row."""
    import torch

    from zoo.bench.peer_timing import time_against_peer

    ours, theirs = ours.to(device), theirs.to(device)
    if channels_last:
        ours = ours.to(memory_format=torch.channels_last)
    z = torch.randn(batch_size, CONFIG_F["z_dim"], generator=torch.Generator().manual_seed(2)).to(device)
    forward = ours
    if compile_mode:
        forward = torch.compile(ours, mode=None if compile_mode == "default" else compile_mode)
    device_type = torch.device(device).type
    precision = (torch.autocast(device_type, dtype=torch.bfloat16) if dtype == "bf16"
                 else contextlib.nullcontext())
    run_ours = lambda: forward(z, noise_mode="const")  # noqa: E731
    run_peer = lambda: theirs(z, None, noise_mode="const")  # noqa: E731
    with torch.inference_mode(), precision:
        # ours clips to [-1, 1] for display (the reference does not): compare the clipped images
        diff = (run_ours().float() - run_peer().float().clamp(-1, 1)).abs().max().item()
        timing = time_against_peer(run_ours, run_peer, batch_size, warmup=warmup, iters=iters, rounds=rounds,
                                   device=device)
    return {"network": f"StyleGAN2 config F generator, {resolution} px", "resolution": resolution,
            "batch_size": batch_size, "dtype": dtype, "device": device, "threads": torch.get_num_threads(),
            "channels_last": channels_last, "compile": compile_mode, "max_abs_output_difference": diff,
            "peer_ops": "reference PyTorch ops (CUDA plugins not compiled)" if device_type == "cuda" else "cpu",
            **timing}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="stylegan2 against NVlabs' stylegan2-ada-pytorch, same weights")
    parser.add_argument("--reference", required=True, type=Path, help="a checkout of NVlabs/stylegan2-ada-pytorch")
    parser.add_argument("--resolution", default="256,1024")
    parser.add_argument("--batch-size", default="1,16")
    parser.add_argument("--dtype", default="fp32,bf16")
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--compile", default=None, help="torch.compile mode for ours (e.g. default)")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if not (args.reference / "training" / "networks.py").is_file():
        parser.error(f"--reference {args.reference}: no training/networks.py (a stylegan2-ada-pytorch checkout?)")
    generator = import_reference(args.reference.resolve())
    results = []
    for resolution in map(int, args.resolution.split(",")):
        ours, theirs = pair(generator, resolution)  # built and converted once per resolution
        for dtype in args.dtype.split(","):
            for batch_size in map(int, args.batch_size.split(",")):
                r = compare(ours, theirs, resolution, batch_size, dtype, device=args.device, warmup=args.warmup,
                            iters=args.iters, rounds=args.rounds, channels_last=args.channels_last,
                            compile_mode=args.compile)
                results.append(r)
                print(f"stylegan2 {resolution} px {dtype} batch {batch_size} on {args.device}: ours "
                      f"{r['ours_samples_per_s']:.3f}/s, NVlabs {r['peer_samples_per_s']:.3f}/s, ratio "
                      f"{r['ratio_ours_over_peer']:.3f}; max |diff| {r['max_abs_output_difference']:.2e}", flush=True)
                if args.json:  # after every row: a run stopped early keeps what it measured
                    from zoo.bench.peer_timing import write_peer_report

                    write_peer_report(args.json, "python -m zoo_plugins.stylegan2.peer_bench " + " ".join(
                        argv if argv is not None else sys.argv[1:]), "NVlabs stylegan2-ada-pytorch", results,
                        device=args.device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
