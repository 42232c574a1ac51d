"""`zoo reconstruct`, `zoo interpolate`, `zoo edit` and `zoo latent-map`: the latent-space tools as
pictures. Inputs are held-out digits (the validation split) at the model's resolution.
Nothing here imports torch at module level, so `zoo --help` stays fast.
"""
from __future__ import annotations


def _common(p, default_output: str, default_n: int = 8, n_help: str = "number of held-out digits") -> None:
    p.add_argument("name", help="weight set (arch.tag, arch, hf-hub:org/repo, local-dir:PATH)")
    p.add_argument("-n", type=int, default=default_n, help=f"{n_help} (default {default_n})")
    p.add_argument("--seed", type=int, default=0, help="which held-out digits (and samples) to use (default 0)")
    p.add_argument("--scale", type=int, default=2, help="enlarge the picture by this factor (default 2)")
    p.add_argument("--device", default="cpu")
    p.add_argument("-o", "--output", default=default_output, help="PNG file to write")


def _load(args):
    from zoo import api
    from zoo.errors import ZooError

    model = api.load(args.name, device=args.device)
    if "encoder" not in model.components:
        hint = "; it edits its condition with --set NAME=VALUE" if hasattr(model, "edit_conditions") else ""
        raise ZooError(f"{model.name} has no encoder; {args.command} needs one{hint}")
    return model


def _held_out(model, n: int, seed: int):
    """`n` validation digits (images, labels), chosen by `seed`."""
    import torch

    from zoo.latent_digits import digits

    data = digits(model, "val")
    if n < 1 or n > len(data):
        raise SystemExit(f"zoo: -n must be between 1 and {len(data)}, got {n}")
    idx = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))[:n]
    return data.images[idx], data.labels[idx]


def _labels_if_conditional(model, labels):
    return labels if model.components["encoder"].condition.kind == "class" else None


def _save(model, images, args, nrow: int) -> None:
    from zoo.images import save_grid

    path = save_grid(images.cpu(), args.output, value_range=model.sampler.output.value_range, nrow=nrow,
                     scale=args.scale)
    print(f"wrote {path}")


def cmd_reconstruct(args) -> int:
    import torch

    model = _load(args)
    x, y = _held_out(model, args.n, args.seed)
    recon = model.reconstruct(x, _labels_if_conditional(model, y))
    _save(model, torch.cat([x.to(recon), recon]), args, nrow=args.n)  # row 1: inputs, row 2: reconstructions
    return 0


def cmd_interpolate(args) -> int:
    import torch

    model = _load(args)
    x, y = _held_out(model, 2 * args.n, args.seed)
    c = _labels_if_conditional(model, y)
    rows = [model.interpolate(x[2 * i], x[2 * i + 1], steps=args.steps, method=args.method,
                              c=c[2 * i] if c is not None else None) for i in range(args.n)]
    _save(model, torch.cat(rows), args, nrow=args.steps)  # one strip per row, from a to b
    return 0


def cmd_edit(args) -> int:
    import torch

    from zoo.latent_digits import digits_attribute_vector

    if args.set:
        return _edit_conditions(args)
    if not args.attribute:
        raise SystemExit("zoo edit: give --attribute NAME (an attribute vector) or --set NAME=VALUE "
                         "(models that edit their condition, e.g. icgan)")
    if args.image:
        raise SystemExit("zoo edit: an IMAGE goes with --set; --attribute edits held-out digits (-n)")
    model = _load(args)
    if "edit" not in model.tasks:
        raise SystemExit(f"zoo edit: {model.name} does not support edit")
    try:
        vector = digits_attribute_vector(model, args.attribute)
    except ValueError as exc:  # an unknown attribute: say which ones exist
        raise SystemExit(f"zoo edit: {exc}") from None
    x, y = _held_out(model, args.n, args.seed)
    c = _labels_if_conditional(model, y)
    strengths = torch.linspace(-args.strength, args.strength, args.columns).tolist()
    columns = [model.edit(x, vector, s, c) for s in strengths]
    # row i: digit i decoded with the attribute vector added at each strength, from -S to +S
    grid = torch.stack(columns, 1).flatten(0, 1)
    _save(model, grid, args, nrow=len(strengths))
    return 0


def _parse_sets(pairs: list[str]) -> dict[str, str]:
    changes = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name.strip() or not value.strip():
            raise SystemExit(f"zoo edit: --set takes NAME=VALUE (class=5, thickness=+1), got {pair!r}")
        changes[name.strip()] = value.strip()
    return changes


def _edit_inputs(model, args):
    """The images to edit: the file IMAGE (grey, resized to the model's size) or -n held-out digits."""
    if not args.image:
        return _held_out(model, args.n, args.seed)[0]
    import torch.nn.functional as F

    from zoo.images import load_image

    spec = model.components["generator"].output
    x = load_image(args.image, channels=spec.shape[0], value_range=spec.value_range)
    if tuple(x.shape[-2:]) != tuple(spec.shape[1:]):
        x = F.interpolate(x, size=tuple(spec.shape[1:]), mode="bilinear", align_corners=False, antialias=True)
    return x.clamp(*spec.value_range)


def _edit_conditions(args) -> int:
    """Encode the images to (z, y), change y (--set), decode (IcGAN, Perarnau 2016). Each row: the input,
    its reconstruction, then the edit; `class=all` gives one column per class instead."""
    import torch

    from zoo import api

    model = api.load(args.name, device=args.device)
    if not hasattr(model, "edit_conditions"):
        raise SystemExit(f"zoo edit: {model.name} cannot edit its condition (--set needs encoders of (z, y), "
                         "as icgan has); models with an encoder take --attribute")
    changes = _parse_sets(args.set)
    options = {"relative_to_class": False} if args.literal_class else {}
    x = _edit_inputs(model, args).to(model.device)
    if changes.get("class") == "all":
        k = model.components["generator"].condition.num_classes
        edits = [model.edit_conditions(x, {**changes, "class": j}, **options) for j in range(k)]
    else:
        edits = [model.edit_conditions(x, changes, **options)]
    columns = [x, model.reconstruct(x), *edits]
    _save(model, torch.stack(columns, 1).flatten(0, 1), args, nrow=len(columns))
    return 0


def cmd_latent_map(args) -> int:
    from zoo.latent import encode_images
    from zoo.latent_digits import digits, latent_map

    model = _load(args)
    shape = tuple(model.components["encoder"].latent.shape)
    if shape != (2,):
        raise SystemExit(f"zoo latent-map: {model.name} has {shape} latent codes; a latent map needs 2-D codes "
                         "(train the model with latent_dim=2, e.g. aae.digits-2d-mixture)")
    data = digits(model, args.split)
    codes = encode_images(model, data.images, data.labels)
    import torch

    prior = model.components["encoder"].latent.sample(len(codes), generator=torch.Generator().manual_seed(args.seed))
    path = latent_map(codes, data.labels, args.output, prior_samples=prior, size=args.size)
    print(f"wrote {path}")
    return 0


def add_reconstruct_command(subparsers) -> None:
    p = subparsers.add_parser("reconstruct", help="held-out digits (top row) and their reconstructions")
    _common(p, "reconstruct.png")
    p.set_defaults(func=cmd_reconstruct)


def add_interpolate_command(subparsers) -> None:
    p = subparsers.add_parser("interpolate", help="decoded strips between the codes of pairs of held-out digits")
    _common(p, "interpolate.png", default_n=4, n_help="number of strips, each between two held-out digits")
    p.add_argument("--method", choices=("linear", "slerp"), default="linear")
    p.add_argument("--steps", type=int, default=10, help="images per strip (default 10)")
    p.set_defaults(func=cmd_interpolate)


def add_edit_command(subparsers) -> None:
    p = subparsers.add_parser("edit", help="add an attribute vector (Larsen 2016) to held-out digits' codes, "
                                           "or change the condition of an image (--set, IcGAN)")
    _common(p, "edit.png")
    p.add_argument("image", nargs="?", help="image file to edit with --set (default: -n held-out digits)")
    p.add_argument("--attribute", help="measured digits attribute: thickness, slant, width, height")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="change the encoded condition: class=5 (class=all: every class), thickness=+1 "
                        "(a signed value shifts, in standard deviations), width=2 (an unsigned one sets); repeatable")
    p.add_argument("--literal-class", action="store_true",
                   help="with --set class=K, keep the encoded attributes as they are (default: move them with "
                        "the class means, keeping the digit's style relative to its class)")
    p.add_argument("--strength", type=float, default=2.0, help="largest multiple of the vector (default 2)")
    p.add_argument("--columns", type=int, default=5, help="strengths from -S to +S (default 5)")
    p.set_defaults(func=cmd_edit)


def add_latent_map_command(subparsers) -> None:
    p = subparsers.add_parser("latent-map", help="2-D codes of the held-out digits coloured by digit, "
                                                 "over samples of the prior (grey)")
    p.add_argument("name")
    p.add_argument("--split", choices=("val", "train", "all"), default="val")
    p.add_argument("--size", type=int, default=512, help="picture size in pixels (default 512)")
    p.add_argument("--seed", type=int, default=0, help="seed of the prior samples drawn behind the codes (default 0)")
    p.add_argument("--device", default="cpu")
    p.add_argument("-o", "--output", default="latent-map.png")
    p.set_defaults(func=cmd_latent_map)
