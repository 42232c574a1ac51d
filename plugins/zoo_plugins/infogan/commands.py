"""`zoo traverse NAME --code c1 -o grid.png`: InfoGAN's Figure 2 for one code, as a PNG grid.
Registered by the infogan plugin (register_commands); no torch import until the command runs."""
from __future__ import annotations


def add_traverse_command(subparsers) -> None:
    p = subparsers.add_parser("traverse", help="vary one latent code of an InfoGAN, the rest fixed (its Fig. 2)")
    p.add_argument("name", help="weight set (arch.tag, arch, hf-hub:org/repo, local-dir:PATH)")
    p.add_argument("--code", required=True, help="the code to vary: c1 (categorical), c2, c3 (continuous)")
    p.add_argument("--rows", type=int, default=10, help="draws of the other codes, one per row (default 10)")
    p.add_argument("--steps", type=int, default=10, help="values of a continuous code per row (default 10)")
    p.add_argument("--low", type=float, default=-2.0, help="first value of a continuous code (default -2)")
    p.add_argument("--high", type=float, default=2.0, help="last value of a continuous code (default 2)")
    p.add_argument("--seed", type=int, default=0, help="seed of the rows' draws (default 0)")
    p.add_argument("--scale", type=int, default=2, help="enlarge the picture by this factor (default 2)")
    p.add_argument("--device", default="cpu")
    p.add_argument("-o", "--output", default="traverse.png", help="PNG file to write")
    p.set_defaults(func=cmd_traverse)


def cmd_traverse(args) -> int:
    from zoo import api
    from zoo.errors import ZooError
    from zoo.images import save_grid

    model = api.load(args.name, device=args.device)
    if not hasattr(type(model), "traverse"):
        raise ZooError(f"{model.name} has no latent traversal (traverse needs an InfoGAN-style structured latent)")
    images, columns = model.traverse(args.code, rows=args.rows, steps=args.steps, low=args.low, high=args.high,
                                     seed=args.seed)
    path = save_grid(images.cpu(), args.output, value_range=model.sampler.output.value_range, nrow=columns,
                     scale=args.scale)
    print(f"wrote {path}")
    return 0
