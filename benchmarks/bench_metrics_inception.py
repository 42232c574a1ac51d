"""Feature-extraction throughput of genzoo's FID Inception vs the reference implementations, same run.

    OMP_NUM_THREADS=1 python benchmarks/bench_metrics_inception.py --batch 4 --rounds 3 [--device cuda]

Every contender gets the same seeded random weights (the real file cannot be downloaded here; the speed
does not depend on the values) and the same 32 px uint8 images, resized to 299 inside each pipeline. The
contenders run interleaved, round after round, so a machine shared with other jobs slows them alike;
the median images/s of each is reported with its ratio to pytorch-fid's. Nothing is asserted: speed is
measured, not tested.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch


def contenders(device: str):
    from zoo.metrics.extractors import InceptionExtractor
    from zoo.metrics.inception import seeded_random_inception

    net = seeded_random_inception(0)
    state = net.state_dict()
    out = {
        "genzoo (tf preset)": (InceptionExtractor(net).to(device).eval(), "float"),
        "genzoo (pytorch-fid preset)": (InceptionExtractor(net, preset="pytorch-fid").to(device).eval(), "float"),
    }
    try:
        import pytorch_fid.inception as pf

        original = pf.load_state_dict_from_url
        pf.load_state_dict_from_url = lambda *a, **k: state
        try:
            out["pytorch-fid"] = (pf.InceptionV3([3]).to(device).eval(), "unit")
        finally:
            pf.load_state_dict_from_url = original
    except ImportError:
        print("pytorch-fid not installed: skipped", file=sys.stderr)
    try:
        import tempfile

        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

        with tempfile.NamedTemporaryFile(suffix=".pth") as f:
            torch.save(state, f.name)
            ref = FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased"],
                                              feature_extractor_weights_path=f.name)
        out["torch-fidelity"] = (ref.to(device), "uint8")
    except ImportError:
        print("torch-fidelity not installed: skipped", file=sys.stderr)
    return out


@torch.no_grad()
def run(model, kind: str, u8: torch.Tensor) -> None:
    if kind == "float":
        model.features_and_logits(u8.float() / 127.5 - 1)
    elif kind == "unit":
        model(u8.float() / 255)
    else:
        model(u8)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    u8 = torch.randint(0, 256, (args.batch, 3, 32, 32), dtype=torch.uint8).to(args.device)
    models = contenders(args.device)
    for model, kind in models.values():  # warm-up
        run(model, kind, u8[:1])
    times = {name: [] for name in models}
    for _ in range(args.rounds):
        for name, (model, kind) in models.items():
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            start = time.perf_counter()
            run(model, kind, u8)
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            times[name].append(time.perf_counter() - start)
    rates = {name: args.batch / statistics.median(t) for name, t in times.items()}
    base = rates.get("pytorch-fid")
    result = {"device": args.device, "threads": torch.get_num_threads(), "batch": args.batch,
              "rounds": args.rounds, "images_per_s": rates,
              "ratio_to_pytorch_fid": {n: r / base for n, r in rates.items()} if base else None}
    for name, rate in rates.items():
        ratio = f"  ×{rate / base:.2f} of pytorch-fid" if base else ""
        print(f"{name:28s} {rate:8.2f} images/s{ratio}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
