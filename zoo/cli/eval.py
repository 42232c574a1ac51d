"""`zoo eval`: sample quality of a weight set against a dataset or a folder (zoo.metrics.eval does the work)."""
from __future__ import annotations

import json
import os
import sys

from zoo.metrics.eval import evaluate
from zoo.metrics.records import write_results


def add_eval_command(subparsers) -> None:
    p = subparsers.add_parser("eval", help="measure sample quality (FID, IS, KID, precision/recall)")
    p.add_argument("name", help="weight set (arch.tag, arch, hf-hub:org/repo, local-dir:PATH)")
    p.add_argument("--metric", default="fid", help="comma-separated: fid,is,kid,pr (sample sets), or psnr,ssim (image-to-image models against a paired dataset such as photos-sr); default fid")
    p.add_argument("--against", default="digits", help="registered dataset name or a folder of images")
    p.add_argument("--split", help="split of the reference images (default val, the held-out split; a folder: all of it)")
    p.add_argument("-n", type=int, default=10000, help="number of generated samples (default 10000)")
    p.add_argument("--extractor", help="inception-fid, digits-judge, timm:<model> or module:callable "
                                       "(default: digits-judge for digits data, else inception-fid)")
    p.add_argument("--extractor-option", nargs="*", default=[], metavar="K=V",
                   help="extractor options, e.g. preset=pytorch-fid resize_filter=bilinear weights_path=FILE")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-cache", action="store_true", help="recompute the reference features")
    p.add_argument("--write-card", action="store_true",
                   help="write the numbers into the registry entry and model card")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_eval)


def cmd_eval(args) -> int:
    from zoo.cli.options import parse_kv
    from zoo.metrics import distributed

    under_torchrun = distributed.init_from_env()
    device = args.device
    if under_torchrun and device.startswith("cuda"):
        device = f"cuda:{os.environ.get('LOCAL_RANK', '0')}"
        import torch

        torch.cuda.set_device(device)
    try:
        result = evaluate(args.name, args.metric.split(","), against=args.against, n=args.n,
                          extractor=args.extractor, extractor_options=parse_kv(args.extractor_option),
                          batch_size=args.batch_size, device=device, seed=args.seed, split=args.split,
                          use_cache=not args.no_cache)
    except (ValueError, FileNotFoundError) as exc:  # bad options: say what was expected, no traceback
        print(f"zoo eval: error: {exc}", file=sys.stderr)
        return 2
    if distributed.rank_and_world()[0] != 0:
        return 0
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        p = result["protocol"]
        how = f", extractor {p['extractor']}" if "extractor" in p else f", {p['convention']}"
        print(f"{result['model']}: {p['n']} samples (seed {p['seed']}) vs {p['against']}{how}")
        for metric, values in result["metrics"].items():
            print(f"  {metric:10s} " + "  ".join(f"{k}={v}" for k, v in values.items()))
    if args.write_card:
        for path in write_results(args.name, result):
            print(f"wrote metrics to {path}", file=sys.stderr)
    return 0
