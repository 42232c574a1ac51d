"""`zoo train`: train an architecture on a dataset, with the exact command recorded for the model card."""
from __future__ import annotations

import sys

from zoo.cli.options import parse_kv


def _train_recipe(args) -> str:
    """The exact command that reproduces a run, every option spelled out (for the model card)."""
    import os
    import shlex

    words = ["zoo", "train", args.architecture, "--dataset", args.dataset, "--steps", str(args.steps),
             "--batch-size", str(args.batch_size), "--seed", str(args.seed), "--precision", args.precision]
    if args.data_root:
        words += ["--data-root", args.data_root]
    if getattr(args, "data_size", None) is not None:
        words += ["--data-size", str(args.data_size)]
    if args.config:
        words += ["--config", *args.config]
    if args.ema is not None:
        words += ["--ema", str(args.ema)]
    if args.clip_grad_norm is not None:
        words += ["--clip-grad-norm", str(args.clip_grad_norm)]
    if getattr(args, "init", None):
        words += ["--init", args.init]
    words += ["--out", args.out]
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:  # started by torchrun: the recipe needs the same number of processes
        nproc = os.environ.get("LOCAL_WORLD_SIZE", str(world))
        nodes = world // int(nproc)
        launch = ["torchrun", f"--nproc_per_node={nproc}"] + ([f"--nnodes={nodes}"] if nodes > 1 else [])
        words = launch + ["-m", "zoo.cli"] + words[1:]
    return shlex.join(words)


def _say(message: str) -> None:
    print(f"zoo train: {message}", file=sys.stderr)


def cmd_train(args) -> int:
    """Exit status: 0 done; 2 a usage error (bad option or config, a dataset the model cannot fit,
    an --out holding another run, --resume with nothing to resume); 1 a failure while running (a
    checkpoint that cannot be written or read, non-finite weights, a diverged loss, out of memory);
    128 + N when stopped by signal N after writing a checkpoint."""
    import os

    from zoo.errors import UnknownNameError, ZooError
    from zoo.training.recipe import train_architecture
    from zoo.training.distributed import shutdown
    from zoo.training.stopping import TrainingStopped

    try:
        out = train_architecture(
            args.architecture, dataset=args.dataset, steps=args.steps, out=args.out,
            config=parse_kv(args.config), batch_size=args.batch_size, seed=args.seed, device=args.device,
            recipe=_train_recipe(args), precision=args.precision, ema=args.ema,
            clip_grad_norm=args.clip_grad_norm, resume=args.resume, overwrite=args.overwrite,
            checkpoint_every=args.checkpoint_every, sample_every=args.sample_every, log_every=args.log_every,
            tensorboard=args.tensorboard, progress=False if args.no_progress else None,
            data_root=args.data_root, notify=_say, init=args.init,
            data_size=args.data_size)
    except TrainingStopped as exc:  # SIGTERM: the checkpoint is written
        print(f"zoo train: {exc}", file=sys.stderr)
        return 128 + exc.signum
    except (ValueError, UnknownNameError, FileNotFoundError, NotADirectoryError) as exc:  # what the user asked
        print(f"zoo train: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except (ZooError, OSError, RuntimeError, ArithmeticError) as exc:  # what happened while running
        print(f"zoo train: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    finally:
        shutdown()
    if os.environ.get("RANK", "0") == "0":  # under torchrun, rank 0 wrote the folder
        print(f"saved to {out}")
    return 0


def _one_line(exc: BaseException) -> str:
    """The error's message on one line (torch's messages can span several)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."
