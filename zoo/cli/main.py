"""The `zoo` command's parser and entry point. Parsing and `zoo list` never import torch; commands that
run models do. Each group of subcommands lives in its own module of zoo/cli/."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from zoo.cli.models import cmd_generate, cmd_info, cmd_list, cmd_plugins, cmd_push
from zoo.cli.train import cmd_train


def build_parser(with_plugins: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoo", description="genzoo: a zoo of deep generative models for vision")
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument("--trust-unpinned", action="store_true",
                        help="load official files whose publisher states no sha256 (the hash seen is printed)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="list architectures, or weight sets with --pretrained")
    p.add_argument("pattern", nargs="?", help="glob or substring to filter names")
    p.add_argument("--pretrained", action="store_true", help="list pretrained weight sets (arch.tag)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("info", help="paper, components, parameter counts, config, tasks, weight source")
    p.add_argument("name", help="architecture or weight set")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("generate", help="sample a grid of images into a PNG (voxels: .npy, PNG and mesh)")
    p.add_argument("name", help="weight set (arch.tag, arch, hf-hub:org/repo, local-dir:PATH)")
    p.add_argument("-n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--label", help="class label(s) for conditional models: one, or one per sample, comma-separated")
    p.add_argument("--text", action="append", metavar="CAPTION",
                   help="text-to-image models: a caption (repeat for several); -n samples of each, one row each")
    p.add_argument("--text-file", metavar="PATH", help="text-to-image models: captions, one a line")
    p.add_argument("--interpolate-to", metavar="CAPTION",
                   help="with one --text: -n rows of --steps images from that caption to this one (same z per row)")
    p.add_argument("--steps", type=int, default=8, help="images per interpolation row (default 8)")
    p.add_argument("--truncation", type=float, default=None,
                   help="truncation trick (models that support it): BigGAN draws latents truncated at this threshold; "
                        "StyleGAN2 takes it as psi, w pulled towards the average w")
    p.add_argument("--scale", type=int, default=2, help="enlarge the grid by this factor (default 2)")
    p.add_argument("--device", default="cpu")
    p.add_argument("-o", "--output", default="samples.png",
                   help="PNG file to write; a folder (no suffix, or more than 256 samples) gets one file each")
    p.add_argument("--mesh", choices=("obj", "ply"), default="obj", help="mesh format of voxel models")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (default: only on a terminal)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("plugins", help="installed plugins as JSON, with load errors")
    p.set_defaults(func=cmd_plugins)

    p = sub.add_parser("train", help="train an architecture on a dataset and save it in the Hub layout")
    p.add_argument("architecture")
    p.add_argument("--dataset", default="digits")
    p.add_argument("--data-root", metavar="PATH", help="the folder of a dataset that reads files "
                                                       "(--dataset folder: your own images or .npy voxels)")
    p.add_argument("--data-size", type=int, metavar="N",
                   help="training items drawn by a dataset that draws them (photo crops, procedural sets; "
                        "default: the dataset's own number)")
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--config", nargs="*", default=[], metavar="K=V", help="config overrides")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--precision", choices=("fp32", "bf16", "fp16"), default="fp32",
                   help="mixed precision: bf16 (CPU or CUDA) or fp16 (CUDA, with loss scaling)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its newest intact checkpoint (an error if it has none)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (default: refuse to touch it)")
    # 1000 = zoo.training.recipe.DEFAULT_CHECKPOINT_EVERY (not imported: parsing must not import torch)
    p.add_argument("--checkpoint-every", type=int, default=1000, metavar="N",
                   help="write a checkpoint every N steps and at the end (default 1000; 0: only at the end)")
    p.add_argument("--sample-every", type=int, default=0, metavar="N",
                   help="save a sample grid every N steps (always one at the end)")
    p.add_argument("--log-every", type=int, default=50, metavar="N", help="log the losses every N steps")
    p.add_argument("--ema", type=float, nargs="?", const=0.999, metavar="DECAY",
                   help="keep an EMA of the generator (decay 0.999 if none given), saved as 'ema'")
    p.add_argument("--clip-grad-norm", type=float, metavar="MAX", help="clip each group's gradient norm")
    p.add_argument("--init", metavar="NAME",
                   help="start from the matching components of a weight set (any name zoo.load takes)")
    p.add_argument("--tensorboard", action="store_true", help="also log to OUT/tensorboard (needs tensorboard)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress (default: a bar on a terminal, else a line per --log-every steps)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("push", help="upload a saved folder to the Hugging Face Hub")
    p.add_argument("folder")
    p.add_argument("repo_id")
    p.add_argument("--revision")
    p.add_argument("--private", action="store_true")
    p.set_defaults(func=cmd_push)

    from zoo.cli.data import add_data_command
    add_data_command(sub)
    from zoo.cli.eval import add_eval_command
    add_eval_command(sub)
    from zoo.cli.convert import add_convert_command
    add_convert_command(sub)

    from zoo.cli.bench import add_bench_command
    add_bench_command(sub)
    from zoo.cli import latent as latent_cli
    for add in (latent_cli.add_reconstruct_command, latent_cli.add_interpolate_command,
                latent_cli.add_edit_command, latent_cli.add_latent_map_command):
        add(sub)

    from zoo.cli.tasks import ADD_COMMANDS as add_task_commands
    for add in add_task_commands:
        add(sub)

    if with_plugins:
        _plugin_manager_for_commands().register_commands(sub)
    return parser


def _plugin_manager_for_commands():
    """The loaded plugins, for their commands. A broken registry.yaml must not break `zoo --help` or
    the commands that do not read it: then the plugins are loaded on their own, and the registry's
    error is reported by the commands that need it."""
    from zoo import registry
    from zoo.errors import ZooError

    try:
        return registry.plugin_manager()
    except ZooError:
        from zoo.plugins import PluginManager

        manager = PluginManager()
        manager.load(registry.Catalog())
        return manager


def _version() -> str:
    from zoo import __version__

    return f"genzoo {__version__}"


def _debug() -> bool:
    return os.environ.get("GENZOO_DEBUG", "") not in ("", "0", "false", "False")


def _one_line(exc: BaseException) -> str:
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__


def _fail(message: str, code: int) -> int:
    print(f"zoo: error: {message}", file=sys.stderr)
    if _debug():
        import traceback

        traceback.print_exc()
    return code


def _check_device(device: str) -> None:
    """`--device cuda` on a machine without one is the user's to fix: one line, before any work."""
    from zoo.bench.devices import check_device
    from zoo.errors import ZooError

    try:
        check_device(device)
    except ValueError as exc:
        raise ZooError(f"{exc}; use --device cpu") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `zoo` command. Every failure ends in one `zoo: error: ...` line and an exit code:
    2 for a usage error or bad input, 1 for a runtime failure (network, disk, a corrupt cache, an
    unexpected error), 130 when the user interrupts (docs/errors.md). GENZOO_DEBUG=1 adds tracebacks."""
    from zoo.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_RUNTIME, ZooError

    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 0
        if args.trust_unpinned:  # read by zoo.hub.official wherever a command loads a weight set
            os.environ["GENZOO_TRUST_UNPINNED"] = "1"
        if isinstance(getattr(args, "device", None), str):
            _check_device(args.device)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("zoo: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ZooError as exc:
        return _fail(_one_line(exc), exc.exit_code)
    except BrokenPipeError:  # `zoo plugins | head`: the reader has gone, which is no error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        hub_failure = _as_hub_failure(exc)
        if hub_failure is not None:
            return _fail(_one_line(hub_failure), hub_failure.exit_code)
        if (type(exc).__module__ or "").split(".")[0] == "PIL":  # a corrupt or foreign image file: bad input
            return _fail(f"cannot read an image: {_one_line(exc)}", EXIT_BAD_INPUT)
        if isinstance(exc, OSError):
            return _fail(f"{type(exc).__name__}: {_one_line(exc)}", EXIT_RUNTIME)
        return _fail(f"unexpected {type(exc).__name__}: {_one_line(exc)} "
                     f"(run with GENZOO_DEBUG=1 for the traceback)", EXIT_RUNTIME)


def _as_hub_failure(exc: BaseException):
    """A failure of the Hub client or its HTTP library that escaped the hub module, as a ZooError."""
    module = type(exc).__module__ or ""
    if not module.startswith(("huggingface_hub", "httpx", "httpcore")):
        return None
    from zoo.hub.hub_errors import as_zoo_error

    return as_zoo_error(exc, "Hugging Face Hub")


if __name__ == "__main__":
    sys.exit(main())
