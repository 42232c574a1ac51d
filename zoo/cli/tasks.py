"""`zoo upscale`, `zoo inpaint`, `zoo synthesize`, `zoo translate`, `zoo mix` and `zoo project`: the image
tasks on ordinary files (PNG/JPEG in and out, label maps as PNG or .npy, latents as .npy).
Progress bars show only on a terminal; errors are one line. No torch import at module level.
"""
from __future__ import annotations

import sys


def parse_ints(text: str, what: str) -> list[int]:
    """"1,2,5-7" -> [1, 2, 5, 6, 7]."""
    from zoo.errors import ZooError

    out: list[int] = []
    try:
        for part in filter(None, (p.strip() for p in text.split(","))):
            lo, dash, hi = part.partition("-") if not part.startswith("-") else (part, "", "")
            out.extend(range(int(lo), int(hi) + 1) if dash else [int(lo)])
    except ValueError:
        raise ZooError(f"{what} takes integers or ranges like 1,2,5-7, got {text!r}") from None
    if not out:
        raise ZooError(f"{what} needs at least one integer, got {text!r}")
    return out


def show_progress(args) -> bool:
    return not getattr(args, "no_progress", False) and sys.stderr.isatty()


def _model_options(p, *, positional: bool = False) -> None:
    if positional:
        p.add_argument("name", help="weight set (arch.tag, arch, hf-hub:org/repo, local-dir:PATH)")
    else:
        p.add_argument("-m", "--model", dest="name", required=True,
                       help="weight set (arch.tag, arch, hf-hub:org/repo, local-dir:PATH)")
    p.add_argument("--seed", type=int, default=0, help="seed of any latent the generator draws (default 0)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (default: only on a terminal)")


def _load(args, task: str):
    import zoo
    from zoo.errors import TaskNotSupportedError

    model = zoo.load(args.name, device=args.device)
    if task not in model.tasks:
        raise TaskNotSupportedError(f"{model.name} cannot {task}: its tasks are {', '.join(model.tasks) or 'none'}")
    return model


def _channels(generator) -> int:
    shape = generator.condition.shape
    return shape[0] if shape and isinstance(shape[0], int) else generator.output.shape[0]


def _write(model, images, path, generator=None) -> None:
    from zoo.images import save_image

    g = generator or model.sampler
    print(f"wrote {save_image(images.cpu(), path, value_range=g.output.value_range)}")


# -- upscale ----------------------------------------------------------------------------------------
def add_upscale_command(sub) -> None:
    p = sub.add_parser("upscale", help="super-resolve a picture or a folder of pictures (tiled for large ones)",
                       usage="zoo upscale NAME INPUT -o OUTPUT [--tile N] (or INPUT -m NAME)")
    p.add_argument("inputs", nargs="+", metavar="NAME INPUT",
                   help="weight set (unless -m gives it), then a picture (PNG/JPEG; RGB, greyscale or with alpha) "
                        "or a folder of pictures")
    p.add_argument("-o", "--output", required=True, help="picture to write (a folder when INPUT is one)")
    p.add_argument("-m", "--model", dest="name", help="weight set (arch.tag, arch, hf-hub:org/repo, local-dir:PATH)")
    p.add_argument("--tile", type=int, default=128, help="tile size in input pixels (default 128; 0: no tiling)")
    p.add_argument("--overlap", type=int, default=16, help="input pixels of context around each tile (default 16)")
    p.add_argument("--seed", type=int, default=0, help="seed of any latent the generator draws (default 0)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (default: only on a terminal)")
    p.set_defaults(func=cmd_upscale)


def cmd_upscale(args) -> int:
    from pathlib import Path

    from zoo.errors import ZooError
    from zoo.tasks.checks import progress_bar
    from zoo.tasks.upscale_files import pictures_in, upscale_file

    if args.tile < 0 or args.overlap < 0:
        raise ZooError(f"--tile and --overlap must be >= 0, got {args.tile} and {args.overlap}")
    inputs = list(args.inputs)
    if args.name is None and len(inputs) == 2:
        args.name = inputs.pop(0)
    if args.name is None or len(inputs) != 1:
        raise ZooError(f"zoo upscale takes NAME INPUT (or INPUT -m NAME), got {len(args.inputs)} argument(s): "
                       f"{' '.join(args.inputs)}")
    source = Path(inputs[0])
    if not source.exists():
        raise ZooError(f"no such file: {source}")
    model = _load(args, "upscale")
    options = {"tile": args.tile or None, "overlap": args.overlap, "seed": args.seed}
    if not source.is_dir():
        print(f"wrote {upscale_file(model, source, args.output, progress=show_progress(args), **options)}")
        return 0
    files, target = pictures_in(source), Path(args.output)
    if target.exists() and not target.is_dir():
        raise ZooError(f"{target}: INPUT is a folder, so -o must be a folder (this is a file)")
    with progress_bar(len(files), "upscale", show_progress(args)) as bar:
        for path in files:
            upscale_file(model, path, target / path.name, **options)
            bar.update(1)
    print(f"wrote {len(files)} pictures to {target}")
    return 0


# -- inpaint ----------------------------------------------------------------------------------------
HOLES = {"rect": "rectangle", "strokes": "free-form"}


def add_inpaint_command(sub) -> None:
    p = sub.add_parser("inpaint", help="fill the holes of an image (mask: white = hole)",
                       usage="zoo inpaint NAME IMAGE MASK -o OUT | zoo inpaint NAME IMAGE --holes rect|strokes "
                             "-o OUT (or IMAGE [MASK] -m NAME)")
    p.add_argument("inputs", nargs="+", metavar="NAME IMAGE MASK",
                   help="weight set (unless -m gives it), image file (PNG/JPEG), and a mask picture of the same "
                        "size whose light pixels (> 127) are holes (unless --holes draws one)")
    p.add_argument("-o", "--output", required=True, help="image file to write")
    p.add_argument("-m", "--model", dest="name", help="weight set (arch.tag, arch, hf-hub:org/repo, local-dir:PATH)")
    p.add_argument("--holes", choices=sorted(HOLES),
                   help="draw a mask instead of reading one: a rectangle or brush strokes, from --seed")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the holes --holes draws and of any latent the generator draws (default 0)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (default: only on a terminal)")
    p.set_defaults(func=cmd_inpaint)


def _inpaint_inputs(args) -> tuple[str, str, str | None]:
    """(model name, image path, mask path or None) from the positional arguments and -m / --holes."""
    from zoo.errors import ZooError

    inputs = list(args.inputs)
    name = args.name if args.name is not None else (inputs.pop(0) if len(inputs) > 1 else None)
    wanted = 1 if args.holes else 2
    if name is None or len(inputs) != wanted:
        expected = "NAME IMAGE" + ("" if args.holes else " MASK")
        raise ZooError(f"zoo inpaint takes {expected} (or -m NAME), got {len(args.inputs)} argument(s): "
                       f"{' '.join(args.inputs)}" + ("" if args.holes else "; or draw a mask with --holes rect|strokes"))
    return name, inputs[0], None if args.holes else inputs[1]


def cmd_inpaint(args) -> int:
    import numpy as np

    from zoo.data.masks import mask_of_size
    from zoo.images import load_image, load_mask
    from zoo.tasks.checks import input_range

    args.name, image, mask_path = _inpaint_inputs(args)
    model = _load(args, "inpaint")
    g = model.sampler
    x = load_image(image, channels=_channels(g) - 1, value_range=input_range(g))
    if mask_path is None:
        mask = mask_of_size(HOLES[args.holes], x.shape[-2], x.shape[-1], np.random.default_rng(args.seed)) > 0.5
    else:
        mask = load_mask(mask_path)
    _write(model, model.inpaint(x, mask, seed=args.seed), args.output)
    return 0


# -- synthesize -------------------------------------------------------------------------------------
def add_synthesize_command(sub) -> None:
    p = sub.add_parser("synthesize", help="a picture from a label map (indexed or colour-coded PNG, or .npy)",
                       usage="zoo synthesize NAME LABELS -o OUT [--style IMAGE] [--seed N] [--side-by-side] "
                             "(or LABELS -m NAME)")
    p.add_argument("inputs", nargs="+", metavar="NAME LABELS",
                   help="weight set (unless -m gives it), then a label map: a PNG whose pixel values are class "
                        "indices (mode L or P), a colour-coded RGB PNG in the data set's palette (--palette), "
                        "or a .npy of ints (H, W)")
    p.add_argument("-o", "--output", required=True, help="image file to write")
    p.add_argument("-m", "--model", dest="name", help="weight set (arch.tag, arch, hf-hub:org/repo, local-dir:PATH)")
    p.add_argument("--style", help="an image whose style the model's style encoder reads (SPADE's VAE option); "
                                   "resized to the model's size")
    p.add_argument("--instances", help="an instance-id map (PNG or .npy, like LABELS) for models that take "
                                       "instance boundaries")
    p.add_argument("--palette", help="data set whose palette decodes a colour-coded LABELS (default: the weight "
                                     "set's data set)")
    p.add_argument("--side-by-side", action="store_true", help="write the label map in colour beside the picture")
    p.add_argument("--seed", type=int, default=0, help="seed of the style code the generator draws (default 0)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (default: only on a terminal)")
    p.set_defaults(func=cmd_synthesize)


def _palette(model, name: str | None):
    """The palette of data set `name` (or of the model's training data), or None when it has none."""
    from zoo import registry
    from zoo.errors import ZooError
    from zoo.records import import_object

    dataset = name or (model.metadata or {}).get("dataset")
    if not dataset:
        return None
    try:
        record = registry.catalog().get("dataset", dataset)
    except ZooError:
        if name:
            raise
        return None
    return getattr(import_object(record.builder), "palette", None)


def cmd_synthesize(args) -> int:
    import torch

    from zoo.errors import ZooError
    from zoo.images import load_image, load_label_map, save_image

    inputs = list(args.inputs)
    if args.name is None and len(inputs) == 2:
        args.name = inputs.pop(0)
    if args.name is None or len(inputs) != 1:
        raise ZooError(f"zoo synthesize takes NAME LABELS (or LABELS -m NAME), got {len(args.inputs)} argument(s): "
                       f"{' '.join(args.inputs)}")
    model = _load(args, "synthesize")
    palette = _palette(model, args.palette)
    labels = load_label_map(inputs[0], palette=palette)
    instances = load_label_map(args.instances) if args.instances else None
    style = None
    if args.style:
        style = load_image(args.style, channels=3, value_range=model.sampler.output.value_range)
        size = tuple(model.sampler.output.shape[1:])
        if tuple(style.shape[2:]) != size:
            style = torch.nn.functional.interpolate(style, size=size, mode="bicubic", antialias=True,
                                                    align_corners=False).clamp(*model.sampler.output.value_range)
    out = model.synthesize(labels, seed=args.seed, style=style, instances=instances).cpu()
    if args.side_by_side:
        from zoo.data.show import colourise
        from zoo.images import to_range

        if palette is None:
            raise ZooError(f"--side-by-side needs a palette to draw the label map; {model.name}'s data set has "
                           "none (give --palette DATASET)")
        lo, hi = model.sampler.output.value_range
        shown = to_range(colourise(labels[0], palette), (0.0, 1.0), (lo, hi))[None]
        out = torch.cat([shown, out[:, :3]], dim=3)
    print(f"wrote {save_image(out, args.output, value_range=model.sampler.output.value_range)}")
    return 0


# -- translate --------------------------------------------------------------------------------------
def add_translate_command(sub) -> None:
    p = sub.add_parser("translate", help="image-to-image translation of a file or a folder (pix2pix: ab; CycleGAN: "
                                         "ab or ba)",
                       usage="zoo translate NAME IN -o OUT [--direction ab|ba] (or IN -m NAME); IN and OUT files, "
                             "or folders")
    p.add_argument("inputs", nargs="+", metavar="NAME IN",
                   help="weight set (unless -m gives it) and an image file (PNG/JPEG) or a folder of them; any size "
                        "(other sizes than the model's are translated in overlapping tiles, see docs/tasks.md)")
    p.add_argument("-o", "--output", required=True, help="image file to write, or a folder for a folder IN")
    p.add_argument("-m", "--model", dest="name", help="weight set (arch.tag, arch, hf-hub:org/repo, local-dir:PATH)")
    p.add_argument("--direction", default="ab",
                   help="ab or AtoB (component 'generator'), ba or BtoA ('generator_ba'); default ab")
    p.add_argument("--seed", type=int, default=0, help="seed of the generator's noise (latent, test-time dropout)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (default: only on a terminal)")
    p.set_defaults(func=cmd_translate)


def _translate_inputs(args) -> tuple[str, str]:
    from zoo.errors import ZooError

    inputs = list(args.inputs)
    name = args.name if args.name is not None else (inputs.pop(0) if len(inputs) > 1 else None)
    if name is None or len(inputs) != 1:
        raise ZooError(f"zoo translate takes NAME IN (or IN -m NAME), got {len(args.inputs)} argument(s): "
                       f"{' '.join(args.inputs)}")
    return name, inputs[0]


def cmd_translate(args) -> int:
    from pathlib import Path

    from zoo.data.folder import IMAGE_SUFFIXES
    from zoo.errors import ZooError
    from zoo.images import load_image, save_image
    from zoo.tasks.checks import input_range, progress_bar
    from zoo.tasks.translate import normalise_direction

    args.name, source = _translate_inputs(args)
    model = _load(args, "translate")
    direction = normalise_direction(args.direction)
    if direction not in model.directions:
        raise ZooError(f"{model.name} has no direction {args.direction!r}; it translates "
                       f"{' and '.join(model.directions)}")
    g = model.translator(direction)
    source, target = Path(source), Path(args.output)
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ZooError(f"{source} holds no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
        if target.exists() and not target.is_dir():
            raise ZooError(f"{target} is a file; a folder IN needs a folder -o")
        pairs = [(p, target / (p.stem + ".png")) for p in files]
    else:
        pairs = [(source, target)]
    with progress_bar(len(pairs), "translate", show_progress(args) and len(pairs) > 1) as bar:
        for path_in, path_out in pairs:
            x = load_image(path_in, channels=_channels(g), value_range=input_range(g))
            y = model.translate(x, direction=direction, seed=args.seed)
            written = save_image(y[0].cpu(), path_out, value_range=g.output.value_range)
            if len(pairs) == 1:
                print(f"wrote {written}")
            bar.update(1)
    if len(pairs) > 1:
        print(f"wrote {len(pairs)} images to {target}")
    return 0


# -- mix --------------------------------------------------------------------------------------------
def add_mix_command(sub) -> None:
    p = sub.add_parser("mix", help="StyleGAN style mixing: a grid of row seeds x column seeds")
    p.add_argument("name", help="weight set (arch.tag, arch, hf-hub:org/repo, local-dir:PATH)")
    p.add_argument("--rows-seeds", required=True, help="seeds of the rows, e.g. 1,2,3 or 1-3")
    p.add_argument("--cols-seeds", required=True, help="seeds of the columns")
    p.add_argument("--styles", help="layers taken from the columns, e.g. 0-3 (default: the first half)")
    p.add_argument("--psi", type=float, default=1.0, help="truncation psi (default 1: none)")
    p.add_argument("--device", default="cpu")
    p.add_argument("-o", "--output", required=True, help="PNG grid: sources on top and left, mixes inside")
    p.set_defaults(func=cmd_mix)


def cmd_mix(args) -> int:
    import torch

    from zoo.images import save_grid

    model = _load(args, "mix_styles")
    rows, cols = parse_ints(args.rows_seeds, "--rows-seeds"), parse_ints(args.cols_seeds, "--cols-seeds")
    styles = parse_ints(args.styles, "--styles") if args.styles else None
    mixed = model.mix_styles(rows, cols, col_styles=styles, psi=args.psi)
    g = model.sampler
    with torch.no_grad():
        row_images = g.synthesis(model.seed_ws(rows, psi=args.psi))
        col_images = g.synthesis(model.seed_ws(cols, psi=args.psi))
    blank = torch.full_like(col_images[:1], g.output.value_range[0])
    grid = [torch.cat([blank, col_images])] + [torch.cat([row_images[r:r + 1], mixed[r]]) for r in range(len(rows))]
    path = save_grid(torch.cat(grid).cpu(), args.output, value_range=g.output.value_range, nrow=len(cols) + 1)
    print(f"wrote {path}")
    return 0


# -- project ----------------------------------------------------------------------------------------
def add_project_command(sub) -> None:
    p = sub.add_parser("project", help="find the latent (w) that makes an image, by optimisation")
    p.add_argument("name", help="weight set (arch.tag, arch, hf-hub:org/repo, local-dir:PATH)")
    p.add_argument("image", help="image file (PNG/JPEG) of the generator's size")
    p.add_argument("-o", "--output", required=True, help="image file for the projection; the latent goes "
                                                           "beside it as .npy")
    p.add_argument("--steps", type=int, default=200, help="optimisation steps (default 200)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (default: only on a terminal)")
    p.set_defaults(func=cmd_project)


def cmd_project(args) -> int:
    from pathlib import Path

    import numpy as np

    from zoo.errors import ZooError
    from zoo.images import load_image

    if args.steps < 1:
        raise ZooError(f"--steps must be >= 1, got {args.steps}")
    model = _load(args, "project")
    spec = model.sampler.output
    x = load_image(args.image, channels=spec.shape[0], value_range=spec.value_range)
    result = model.project(x, steps=args.steps, seed=args.seed, progress=show_progress(args))
    _write(model, result.image, args.output)
    latent = Path(args.output).with_suffix(".npy")
    np.save(latent, result.latent.cpu().numpy())
    print(f"wrote {latent} ({result.space}, shape {tuple(result.latent.shape)}); "
          f"pixel MSE {result.losses[0]:.4g} -> {result.losses[-1]:.4g}")
    return 0


ADD_COMMANDS = (add_upscale_command, add_inpaint_command, add_synthesize_command, add_translate_command,
                add_mix_command, add_project_command)
