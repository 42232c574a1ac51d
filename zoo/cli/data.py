"""`zoo data show NAME`: one picture of a registered dataset. No torch at import (zoo --help stays light)."""
from __future__ import annotations


def cmd_data_show(args) -> int:
    from zoo.data.show import show_dataset

    output = args.output or f"{args.name}-{args.split}.png"
    try:
        path = show_dataset(args.name, output, split=args.split, n=args.n, resolution=args.resolution,
                            seed=args.seed, root=args.root)
    except (ValueError, FileNotFoundError) as exc:
        raise SystemExit(f"zoo data show: {exc}")
    print(f"wrote a picture of {args.name} ({args.split}) to {path}")
    return 0


def cmd_data_list(args) -> int:
    from zoo import registry

    cat = registry.catalog()
    for name in cat.names("dataset"):
        print(f"{name:16s} {cat.get('dataset', name).description}")
    return 0


def add_data_command(subparsers) -> None:
    data = subparsers.add_parser("data", help="list the datasets, or write a picture of one")
    sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    p = sub.add_parser("list", help="registered datasets")
    p.set_defaults(func=cmd_data_list)
    p = sub.add_parser("show", help="write one PNG of a dataset's first items")
    p.add_argument("name", help="dataset name (see `zoo data list`)")
    p.add_argument("-o", "--output", help="PNG file to write (default NAME-SPLIT.png)")
    p.add_argument("--split", default="val", choices=("train", "val", "all"), help="default val")
    p.add_argument("-n", type=int, default=16, help="number of items (default 16)")
    p.add_argument("--resolution", type=int, help="image side (or voxel grid side) in pixels")
    p.add_argument("--seed", type=int, default=0, help="changes the training items only")
    p.add_argument("--root", help="the folder dataset's root")
    p.set_defaults(func=cmd_data_show)
    data.set_defaults(func=lambda args: data.print_help() or 0)
