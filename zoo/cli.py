"""The `zoo` command. Parsing and `zoo list` never import torch; commands that run models do."""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence


def _parse_kv(pairs: Sequence[str]) -> dict[str, Any]:
    """`k=v` pairs with YAML-typed values (`lr=1e-4`, `d_steps=2`, `prior=uniform`)."""
    import yaml

    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"zoo: --config takes key=value, got {pair!r}")
        parsed = yaml.safe_load(value)
        if isinstance(parsed, str):  # YAML 1.1 reads "1e-4" (no dot) as text; it is a number here
            try:
                parsed = float(parsed)
            except ValueError:
                pass
        out[key] = parsed
    return out


def cmd_list(args) -> int:
    from zoo import registry

    cat = registry.catalog()
    if args.pretrained:
        for name in cat.names("weight set", args.pattern):
            ws = cat.weight_set(name)
            flag = " (default)" if ws.default else ""
            print(f"{name:32s} {ws.dataset:12s} {ws.resolution or '':>5}  {ws.license}{flag}")
        return 0
    for name in cat.names("architecture", args.pattern):
        arch = cat.architecture(name)
        print(f"{name:16s} {arch.paper.authors} {arch.paper.year}: {arch.paper.title}")
    return 0


def cmd_info(args) -> int:
    from zoo import api, build, registry

    cat = registry.catalog()
    try:
        arch = cat.architecture(args.name)
        ws = None
    except KeyError:
        ws = cat.weight_set(args.name)
        arch = cat.architecture(ws.architecture)
    config = build.merged_config(arch, ws.config if ws else None)
    model = api.create(arch.name, config=config)
    info = {
        "name": ws.name if ws else arch.name,
        "architecture": arch.name,
        "paper": {"title": arch.paper.title, "authors": arch.paper.authors, "year": arch.paper.year,
                  "arxiv": arch.paper.arxiv},
        "plugin": arch.plugin,
        "components": {role: {"class": path, "parameters": model.parameter_counts()[role]}
                       for role, path in arch.components.items()},
        "tasks": list(arch.tasks),
        "objective": arch.objective,
        "config": config,
        "weights": [n for n in cat.names("weight set") if cat.weight_set(n).architecture == arch.name],
    }
    if ws is not None:
        info["source"] = {"repo_id": ws.source.repo_id, "revision": ws.source.revision,
                          "files": {r: f.filename for r, f in ws.source.files.items()},
                          "shipped": ws.shipped}
        info.update(origin=ws.origin, dataset=ws.dataset, license=ws.license, metrics=dict(ws.metrics))
    print(json.dumps(info, indent=2))
    return 0


def cmd_generate(args) -> int:
    import torch

    import zoo
    from zoo.images import save_grid

    model = zoo.load(args.name, device=args.device)
    c = torch.tensor([int(v) for v in args.label.split(",")]) if args.label else None
    if c is not None and len(c) == 1:
        c = c.repeat(args.n)
    images = model.generate(args.n, seed=args.seed, c=c)
    path = save_grid(images, args.output, value_range=model.sampler.output.value_range, scale=args.scale)
    print(f"wrote {args.n} samples of {model.name} to {path}")
    return 0


def cmd_plugins(args) -> int:
    from zoo import registry

    manager = registry.plugin_manager()
    print(json.dumps([info.to_json() for info in manager.infos.values()], indent=2))
    return 0


def _train_recipe(args) -> str:
    """The exact command that reproduces a run, every option spelled out (for the model card)."""
    import os
    import shlex

    words = ["zoo", "train", args.architecture, "--dataset", args.dataset, "--steps", str(args.steps),
             "--batch-size", str(args.batch_size), "--seed", str(args.seed), "--precision", args.precision]
    if args.data_root:
        words += ["--data-root", args.data_root]
    if args.config:
        words += ["--config", *args.config]
    if args.ema is not None:
        words += ["--ema", str(args.ema)]
    if args.clip_grad_norm is not None:
        words += ["--clip-grad-norm", str(args.clip_grad_norm)]
    words += ["--out", args.out]
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:  # started by torchrun: the recipe needs the same number of processes
        nproc = os.environ.get("LOCAL_WORLD_SIZE", str(world))
        nodes = world // int(nproc)
        launch = ["torchrun", f"--nproc_per_node={nproc}"] + ([f"--nnodes={nodes}"] if nodes > 1 else [])
        words = launch + ["-m", "zoo.cli"] + words[1:]
    return shlex.join(words)


def cmd_train(args) -> int:
    import os

    from zoo.train import train_architecture
    from zoo.training.distributed import shutdown
    from zoo.training.stopping import TrainingStopped

    try:
        out = train_architecture(
            args.architecture, dataset=args.dataset, steps=args.steps, out=args.out,
            config=_parse_kv(args.config), batch_size=args.batch_size, seed=args.seed, device=args.device,
            recipe=_train_recipe(args), precision=args.precision, ema=args.ema,
            clip_grad_norm=args.clip_grad_norm, resume=args.resume, checkpoint_every=args.checkpoint_every,
            sample_every=args.sample_every, log_every=args.log_every, tensorboard=args.tensorboard,
            progress=False if args.no_progress else None, data_root=args.data_root)
    except (ValueError, FileExistsError, RuntimeError) as exc:  # bad options, an earlier run's folder
        print(f"zoo train: error: {exc}", file=sys.stderr)
        return 2
    except TrainingStopped as exc:  # SIGTERM: the checkpoint is written
        print(f"zoo train: {exc}", file=sys.stderr)
        return 128 + exc.signum
    finally:
        shutdown()
    if os.environ.get("RANK", "0") == "0":  # under torchrun, rank 0 wrote the folder
        print(f"saved to {out}")
    return 0


def cmd_push(args) -> int:
    from zoo.hub import push_to_hub

    print(push_to_hub(args.folder, args.repo_id, private=args.private, revision=args.revision))
    return 0


def build_parser(with_plugins: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoo", description="genzoo: a zoo of deep generative models for vision")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="list architectures, or weight sets with --pretrained")
    p.add_argument("pattern", nargs="?", help="glob or substring to filter names")
    p.add_argument("--pretrained", action="store_true", help="list pretrained weight sets (arch.tag)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("info", help="paper, components, parameter counts, config, tasks, weight source")
    p.add_argument("name", help="architecture or weight set")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("generate", help="sample a grid of images into a PNG")
    p.add_argument("name", help="weight set (arch.tag, arch, hf-hub:org/repo, local-dir:PATH)")
    p.add_argument("-n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--label", help="class label(s) for conditional models: one, or one per sample, comma-separated")
    p.add_argument("--scale", type=int, default=2, help="enlarge the grid by this factor (default 2)")
    p.add_argument("--device", default="cpu")
    p.add_argument("-o", "--output", default="samples.png", help="PNG file to write")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("plugins", help="installed plugins as JSON, with load errors")
    p.set_defaults(func=cmd_plugins)

    p = sub.add_parser("train", help="train an architecture on a dataset and save it in the Hub layout")
    p.add_argument("architecture")
    p.add_argument("--dataset", default="digits")
    p.add_argument("--data-root", metavar="PATH", help="the folder of a dataset that reads files "
                                                       "(--dataset folder: your own images or .npy voxels)")
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--config", nargs="*", default=[], metavar="K=V", help="config overrides")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--precision", choices=("fp32", "bf16", "fp16"), default="fp32",
                   help="mixed precision: bf16 (CPU or CUDA) or fp16 (CUDA, with loss scaling)")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    p.add_argument("--checkpoint-every", type=int, default=0, metavar="N",
                   help="write a checkpoint every N steps and at the end (default: none)")
    p.add_argument("--sample-every", type=int, default=0, metavar="N",
                   help="save a sample grid every N steps (always one at the end)")
    p.add_argument("--log-every", type=int, default=50, metavar="N", help="log the losses every N steps")
    p.add_argument("--ema", type=float, nargs="?", const=0.999, metavar="DECAY",
                   help="keep an EMA of the generator (decay 0.999 if none given), saved as 'ema'")
    p.add_argument("--clip-grad-norm", type=float, metavar="MAX", help="clip each group's gradient norm")
    p.add_argument("--tensorboard", action="store_true", help="also log to OUT/tensorboard (needs tensorboard)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (default: only on a terminal)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("push", help="upload a saved folder to the Hugging Face Hub")
    p.add_argument("folder")
    p.add_argument("repo_id")
    p.add_argument("--revision")
    p.add_argument("--private", action="store_true")
    p.set_defaults(func=cmd_push)

    from zoo.data.cli import add_data_command
    add_data_command(sub)
    from zoo.metrics.eval import add_eval_command
    add_eval_command(sub)

    from zoo.bench_cli import add_bench_command
    add_bench_command(sub)
    from zoo import latent_cli
    for add in (latent_cli.add_reconstruct_command, latent_cli.add_interpolate_command,
                latent_cli.add_edit_command, latent_cli.add_latent_map_command):
        add(sub)

    if with_plugins:
        from zoo import registry

        registry.plugin_manager().register_commands(sub)
    return parser


def _version() -> str:
    from zoo import __version__

    return f"genzoo {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    from zoo.errors import ZooError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except ZooError as exc:
        print(f"zoo: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `zoo plugins | head`: the reader has gone, which is no error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
