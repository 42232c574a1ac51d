"""`zoo eval`: measure a weight set's sample quality against a dataset or a folder of images.

    zoo eval dcgan.digits-32 --metric fid,is --against digits -n 10000 [--extractor NAME] [--write-card]

Samples are generated batch by batch, features extracted on the chosen device (shards under torchrun),
the reference set's features come from the disk cache after the first run, and each metric registered
through `register_metrics` (zoo/metrics/hooks.py) is computed from the two feature sets. `--write-card`
records the numbers, with how they were measured, in the weight set's registry.yaml entry (`metrics:`)
and in its model card (README.md, "Measured metrics"); for `local-dir:` models, in the folder's card.
"""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, Mapping, Sequence

PAIRED_METRICS = ("psnr", "ssim")  # image-to-image metrics: zoo.metrics.psnr_ssim, not `zoo eval`


def default_extractor(against: str) -> str:
    """The digits judge for digits data (an ImageNet network knows nothing of 8×8 digits), else Inception."""
    return "digits-judge" if against.startswith("digits") and not os.path.isdir(against) else "inception-fid"


def reference_images(against: str, *, resolution: int, channels: int, split: str | None = None):
    """(images in [-1, 1], description) of a registered dataset or a folder of images."""
    from zoo.data import build_dataset

    if os.path.isdir(against):
        name, split, what, options = "folder", split or "all", f"folder {against}", {"root": against}
    else:
        name, split, what, options = against, split or "train", against, {}
    options.update(split=split, resolution=resolution, channels=channels)
    images = build_dataset(name, options).tensors()["image"]
    return images, f"{what} ({split} split, {len(images)} images)"


def evaluate(name: str, metrics: Sequence[str] = ("fid",), *, against: str = "digits", n: int = 10000,
             extractor: str | None = None, extractor_options: Mapping[str, Any] | None = None,
             batch_size: int = 64, device: str = "cpu", seed: int = 0, split: str | None = None,
             use_cache: bool = True) -> dict[str, Any]:
    """{"model", "metrics": {metric: {name: number}}, "protocol": {extractor, against, n, seed}}."""
    import zoo
    from zoo import registry
    from zoo.metrics.extractors import get_extractor
    from zoo.metrics.streaming import extract_generated, extract_images
    from zoo.records import import_object

    metrics = [m.strip() for m in metrics if m.strip()]
    paired = [m for m in metrics if m in PAIRED_METRICS]
    if paired:
        raise ValueError(f"{', '.join(paired)} compare paired images (super-resolution), not samples with a "
                         "dataset: use zoo.metrics.psnr_ssim.psnr/ssim on (output, target) pairs")
    catalog = registry.catalog()
    builders = {m: import_object(catalog.get("metric", m).builder) for m in metrics}
    if n < 2:
        raise ValueError(f"-n must be at least 2 samples, got {n}")

    model = zoo.load(name, device=device, roles=("generator", "ema"))
    if model.sampler.output.kind != "image":
        raise ValueError(f"{name} generates {model.sampler.output.kind}; these metrics measure images")
    channels, height, _ = model.sampler.output.shape
    extractor_name = extractor or default_extractor(against)
    net = get_extractor(extractor_name, device=device, **dict(extractor_options or {}))
    real_images, real_what = reference_images(against, resolution=height, channels=channels, split=split)
    real = extract_images(net, real_images, batch_size=batch_size, device=device, use_cache=use_cache)
    fake = extract_generated(model, net, n, seed=seed, batch_size=batch_size, device=device)

    protocol = {"extractor": extractor_name, "against": real_what, "n": n, "seed": seed}
    results = {}
    for metric, fn in builders.items():
        values = fn(fake, real)
        results[metric] = {k: _round(v) for k, v in values.items()}
    return {"model": model.name, "metrics": results, "protocol": protocol}


def _round(v):
    return round(float(v), 6) if isinstance(v, float) else v


# -- writing the numbers down ------------------------------------------------------------------------
def metric_entries(result: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The registry's `metrics:` mapping: each metric's numbers and how they were measured."""
    return {metric: {**values, **result["protocol"]} for metric, values in result["metrics"].items()}


def update_card(card_path: Path, entries: Mapping[str, Mapping[str, Any]]) -> None:
    """Replace (or add) the card's "## Measured metrics" section, keeping metrics measured before."""
    text = card_path.read_text() if card_path.is_file() else ""
    known = _card_rows(text)
    known.update({metric: _describe(values) for metric, values in entries.items()})
    table = ["## Measured metrics", "", "| metric | value | measured with |", "|---|---|---|"]
    table += [f"| {m} | {v} | {p} |" for m, (v, p) in sorted(known.items())]
    section = "\n".join(table) + "\n"
    match = re.search(r"^## Measured metrics\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
    if match:
        rest = text[match.end():]
        text = text[:match.start()] + section + ("\n" + rest if rest else "")
    else:
        text = (text.rstrip("\n") + "\n\n" if text else "") + section
    card_path.write_text(text)


def _card_rows(text: str) -> dict[str, tuple[str, str]]:
    rows = {}
    match = re.search(r"^## Measured metrics\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    for line in (match.group(1).splitlines() if match else []):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("metric", "---"):
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def _describe(values: Mapping[str, Any]) -> tuple[str, str]:
    protocol_keys = ("extractor", "against", "n", "seed")
    numbers = ", ".join(f"{k}={v}" for k, v in values.items() if k not in protocol_keys)
    protocol = f"{values.get('extractor')} vs {values.get('against')}, n={values.get('n')}, seed={values.get('seed')}"
    return numbers, protocol


def update_registry(path: Path, name: str, entries: Mapping[str, Mapping[str, Any]]) -> None:
    """Set `metrics:` of entry `name` in registry.yaml by a targeted text edit (comments and the other
    entries stay as they are), keeping metrics measured before; the result is validated before it is
    written (atomically)."""
    import yaml

    from zoo.errors import RegistryError
    from zoo.registry import parse_registry

    text = path.read_text()
    data = yaml.safe_load(text) or {}
    if name not in data:
        raise RegistryError(f"{path}: no entry {name!r} to write metrics into")
    merged = {**(data[name].get("metrics") or {}), **{k: dict(v) for k, v in entries.items()}}
    lines = text.splitlines(keepends=True)
    head = re.compile(rf"^['\"]?{re.escape(name)}['\"]?\s*:\s*$")
    start = next(i for i, line in enumerate(lines) if head.match(line.rstrip("\n")))
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#"):
        end += 1
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1  # blank lines and column-0 comments before the next entry belong to it
    fields = [i for i in range(start + 1, end) if lines[i].strip() and not lines[i].lstrip().startswith("#")]
    indent = len(lines[fields[0]]) - len(lines[fields[0]].lstrip()) if fields else 2
    block = yaml.safe_dump({"metrics": merged}, sort_keys=True, default_flow_style=None, width=100,
                           allow_unicode=True)
    block_lines = [" " * indent + line + "\n" for line in block.splitlines()]
    at = next((i for i in fields if re.match(rf"^ {{{indent}}}metrics\s*:", lines[i])), None)
    if at is None:
        lines[end:end] = block_lines
    else:
        stop = at + 1
        while stop < end and (not lines[stop].strip() or len(lines[stop]) - len(lines[stop].lstrip()) > indent):
            stop += 1
        lines[at:stop] = block_lines
    new_text = "".join(lines)
    parse_registry(yaml.safe_load(new_text))  # refuse to write an invalid registry
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".registry-", suffix=".yaml")
    with os.fdopen(fd, "w") as f:
        f.write(new_text)
    os.replace(tmp, path)


def write_results(name: str, result: Mapping[str, Any]) -> list[Path]:
    """Record the numbers in the registry entry and model card of `name`; returns the files written."""
    from zoo import hub, registry

    entries = metric_entries(result)
    written = []
    if name.startswith("local-dir:"):
        card = Path(name[len("local-dir:"):]).expanduser() / hub.CARD_NAME
        update_card(card, entries)
        return [card]
    if name.startswith("hf-hub:"):
        raise ValueError("--write-card needs a registry name or local-dir:PATH; an hf-hub: repo is not ours to edit")
    ws = registry.catalog().weight_set(name)
    if ws.plugin == "registry.yaml":
        path = registry.registry_yaml_path()
        update_registry(path, ws.name, entries)
        written.append(path)
    if ws.shipped:
        card = hub.shipped_folder(ws) / hub.CARD_NAME
        update_card(card, entries)
        written.append(card)
    return written


# -- the command ---------------------------------------------------------------------------------
def add_eval_command(subparsers) -> None:
    p = subparsers.add_parser("eval", help="measure sample quality (FID, IS, KID, precision/recall)")
    p.add_argument("name", help="weight set (arch.tag, arch, hf-hub:org/repo, local-dir:PATH)")
    p.add_argument("--metric", default="fid", help="comma-separated: fid,is,kid,pr (default fid)")
    p.add_argument("--against", default="digits", help="registered dataset name or a folder of images")
    p.add_argument("--split", help="dataset split of the reference images (default train; all for a folder)")
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
    from zoo.cli import _parse_kv
    from zoo.metrics import distributed

    under_torchrun = distributed.init_from_env()
    device = args.device
    if under_torchrun and device.startswith("cuda"):
        device = f"cuda:{os.environ.get('LOCAL_RANK', '0')}"
        import torch

        torch.cuda.set_device(device)
    try:
        result = evaluate(args.name, args.metric.split(","), against=args.against, n=args.n,
                          extractor=args.extractor, extractor_options=_parse_kv(args.extractor_option),
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
        print(f"{result['model']}: {p['n']} samples (seed {p['seed']}) vs {p['against']}, extractor {p['extractor']}")
        for metric, values in result["metrics"].items():
            print(f"  {metric:10s} " + "  ".join(f"{k}={v}" for k, v in values.items()))
    if args.write_card:
        for path in write_results(args.name, result):
            print(f"wrote metrics to {path}", file=sys.stderr)
    return 0
