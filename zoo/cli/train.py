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


def cmd_train(args) -> int:
    import os

    from zoo.training.recipe import train_architecture
    from zoo.training.distributed import shutdown
    from zoo.training.stopping import TrainingStopped

    try:
        out = train_architecture(
            args.architecture, dataset=args.dataset, steps=args.steps, out=args.out,
            config=parse_kv(args.config), batch_size=args.batch_size, seed=args.seed, device=args.device,
            recipe=_train_recipe(args), precision=args.precision, ema=args.ema,
            clip_grad_norm=args.clip_grad_norm, resume=args.resume, checkpoint_every=args.checkpoint_every,
            sample_every=args.sample_every, log_every=args.log_every, tensorboard=args.tensorboard,
            progress=False if args.no_progress else None, data_root=args.data_root,
            init=getattr(args, "init", None))
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
