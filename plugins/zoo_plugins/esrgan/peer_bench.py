"""`upscale` speed: our RRDBNet against spandrel's ESRGAN running the same weights, in one process, on a
square input, in megapixels of output per second; and our tiling's overhead (tiled vs untiled, same image).

    python -m zoo_plugins.esrgan.peer_bench --size 512 --nb 6 --dtype fp32,bf16 \\
        --json benchmarks/results/esrgan-peer-cpu.json
    python -m zoo_plugins.esrgan.peer_bench --size 512 --nb 23 --device cuda --warmup 2 --iters 5 --rounds 2

The weights are random (speed does not depend on their values) in Real-ESRGAN's layout (nf 64, gc 32,
×4; nb 23 is RealESRGAN_x4plus, nb 6 is RealESRGAN_x4plus_anime_6B), saved as BasicSR's file, converted
by zoo_plugins.esrgan.convert for ours and read by spandrel's ModelLoader for the peer; their outputs are
compared before timing. Both run under torch.inference_mode, timed alternately (zoo.bench.peer_timing).
Ours runs through ZooModel.upscale (the task users call, input checks included), the peer through its
module's forward.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def pair(nb: int, nf: int = 64, gc: int = 32, seed: int = 0):
    """(our ZooModel, spandrel's module), eval mode, the same random weights."""
    import spandrel
    import torch

    from zoo import api
    from zoo_plugins.esrgan.convert import convert

    torch.manual_seed(seed)
    ours = api.create("esrgan", config={"nf": nf, "nb": nb, "gc": gc, "resolution": 128, "d_width": 8})
    g = ours.components["generator"]
    with torch.no_grad():
        for p in g.parameters():
            p.mul_(0.1)  # keep the 23-block residual sums in range
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "RealESRGAN_x4plus.pth"
        torch.save({"params_ema": g.state_dict()}, path)
        config, states = convert({"checkpoint": path})
        g.load_state_dict(states["generator"])
        peer = spandrel.ModelLoader().load_from_file(str(path)).model.eval()
    return ours.eval(), peer


def compare(size: int, dtype: str, nb: int, *, tile: int = 128, overlap: int = 16, warmup: int = 0, iters: int = 1,
            rounds: int = 1, device: str = "cpu") -> dict:
    import torch

    from zoo.bench.peer_timing import device_timer, time_against_peer
    from zoo.bench.timing import run_timed, summarize

    dt = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]
    ours, peer = pair(nb)
    ours.components["generator"].to(device, dt)
    peer.to(device, dt)
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(1)).to(device, dt)
    run_ours = lambda: ours.upscale(x)  # noqa: E731
    run_peer = lambda: peer(x)  # noqa: E731
    megapixels = (4 * size) ** 2 / 1e6
    with torch.inference_mode():
        diff = (run_ours().float() - run_peer().float()).abs().max().item()
        timing = time_against_peer(run_ours, run_peer, 1, warmup=warmup, iters=iters, rounds=rounds, device=device)
        tiled = summarize(run_timed(lambda: ours.upscale(x, tile=tile, overlap=overlap), warmup=warmup,
                                    iters=iters, timer=device_timer(device)), 1)
    return {"network": f"RRDBNet nf 64 nb {nb} gc 32 x4", "input": [size, size], "dtype": dtype, "device": device,
            "threads": torch.get_num_threads(), "max_abs_output_difference": diff,
            "ours_megapixels_per_s": timing["ours_samples_per_s"] * megapixels,
            "peer_megapixels_per_s": timing["peer_samples_per_s"] * megapixels,
            "tiled_megapixels_per_s": tiled["samples_per_s"] * megapixels, "tile": tile, "overlap": overlap,
            "tiling_overhead": timing["ours_samples_per_s"] / tiled["samples_per_s"] - 1, **timing}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="esrgan upscale against spandrel, same weights")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--nb", type=int, default=23)
    parser.add_argument("--dtype", default="fp32,bf16")
    parser.add_argument("--tile", type=int, default=128)
    parser.add_argument("--overlap", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--iters", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    results = []
    for dtype in args.dtype.split(","):
        r = compare(args.size, dtype, args.nb, tile=args.tile, overlap=args.overlap, warmup=args.warmup,
                    iters=args.iters, rounds=args.rounds, device=args.device)
        results.append(r)
        print(f"esrgan {r['network']} {args.size}x{args.size} {dtype}: ours {r['ours_megapixels_per_s']:.4f} MP/s, "
              f"spandrel {r['peer_megapixels_per_s']:.4f} MP/s, ratio {r['ratio_ours_over_peer']:.3f}; tiled "
              f"({args.tile}+{args.overlap}) {r['tiled_megapixels_per_s']:.4f} MP/s, overhead "
              f"{100 * r['tiling_overhead']:.1f}%; max |diff| {r['max_abs_output_difference']:.2e}", flush=True)
        if args.json:  # after every row: a run stopped early keeps what it measured
            from zoo.bench.peer_timing import write_peer_report

            write_peer_report(args.json, "python -m zoo_plugins.esrgan.peer_bench " + " ".join(
                argv if argv is not None else sys.argv[1:]), "spandrel", results, device=args.device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
