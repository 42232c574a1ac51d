"""`zoo list`, `zoo info`, `zoo generate`, `zoo plugins` and `zoo push`: naming, describing and sampling models."""
from __future__ import annotations

import json


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


def describe(name: str) -> dict:
    """What `zoo.load(name)` builds, read from the weight set's saved config.json (built on the meta
    device, so it is cheap); an architecture without a default weight set is described as
    `zoo.create(name)` builds it."""
    from zoo import api, build, registry, safe_build

    cat = registry.catalog()
    ws = folder = None
    if name in cat.by_kind["architecture"] and not any(
            w.architecture == name and w.default for w in cat.by_kind["weight set"].values()):
        arch = cat.architecture(name)
        config = build.merged_config(arch)
        modules = safe_build.dry_run(arch, config)
        built_by = f"zoo.create({name!r}) (no pretrained default)"
    else:
        folder, ws, arch, config, components = api.saved_model_plan(name)
        modules = safe_build.dry_run(arch, config, tuple(components))
        built_by = f"zoo.load({name!r})"
    counts = safe_build.parameter_counts(modules)
    info = {
        "name": ws.name if ws else name,
        "architecture": arch.name,
        "built_by": built_by,
        "paper": {"title": arch.paper.title, "authors": arch.paper.authors, "year": arch.paper.year,
                  "arxiv": arch.paper.arxiv},
        "plugin": arch.plugin,
        "components": {role: {"class": arch.components[build.arch_role(role)], "parameters": counts[role]}
                       for role in modules},
        "tasks": list(arch.tasks),
        "objective": arch.objective,
        "config": config,
        "weights": [n for n in cat.names("weight set") if cat.weight_set(n).architecture == arch.name],
    }
    if folder is not None:
        info["folder"] = str(folder)
    if ws is not None:
        info["source"] = {"repo_id": ws.source.repo_id, "revision": ws.source.revision,
                          "files": {r: f.filename for r, f in ws.source.files.items()},
                          "shipped": ws.shipped}
        info.update(origin=ws.origin, dataset=ws.dataset, license=ws.license, metrics=dict(ws.metrics))
    return info


def cmd_info(args) -> int:
    print(json.dumps(describe(args.name), indent=2))
    return 0


STREAM_ABOVE = 256  # more samples than this go to a folder, one file each, as they are made


def cmd_generate(args) -> int:
    from pathlib import Path

    from zoo.errors import ZooError

    if args.n < 1:
        raise ZooError(f"-n must be a positive number of samples, got {args.n}")
    if args.scale < 1:
        raise ZooError(f"--scale must be a positive integer, got {args.scale}")
    from zoo import api
    from zoo.cli.tasks import show_progress

    model = api.load(args.name, device=args.device)
    captions = _captions(args)
    if captions:
        return _generate_from_text(model, args, captions)
    if getattr(args, "interpolate_to", None):
        raise ZooError("--interpolate-to needs the caption to start from: pass one --text")
    c = _labels(model, args.label, args.n)
    extra = _truncation(model, getattr(args, "truncation", None))
    spec = model.sampler.output
    output = Path(args.output)
    if args.n > STREAM_ABOVE or not output.suffix:
        folder = output.with_suffix("") if output.suffix else output
        paths = model.generate_to(folder, args.n, seed=args.seed, c=c, progress=show_progress(args), **extra)
        print(f"wrote {len(paths)} samples of {model.name} to {folder}/ (one file each)")
        return 0
    samples = model.generate(args.n, seed=args.seed, c=c, **extra)
    if spec.kind == "voxels":
        for path in _save_voxels(samples, output, spec.value_range, args.mesh, args.scale):
            print(f"wrote {path}")
        return 0
    from zoo.images import save_grid

    path = save_grid(samples, output, value_range=spec.value_range, scale=args.scale)
    print(f"wrote {args.n} samples of {model.name} to {path}")
    return 0


def _captions(args) -> list[str]:
    """--text (repeatable) and --text-file (one caption a line; blank lines skipped)."""
    from pathlib import Path

    from zoo.errors import ZooError

    captions = list(getattr(args, "text", None) or [])
    path = getattr(args, "text_file", None)
    if path:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ZooError(f"cannot read captions from {path}: {getattr(exc, 'strerror', None) or exc}") from None
        captions += [line.strip() for line in lines if line.strip()]
        if not captions:
            raise ZooError(f"{path} holds no captions (one a line)")
    return captions


def _generate_from_text(model, args, captions: list[str]) -> int:
    """-n samples of each caption, a row each; or, with --interpolate-to, -n rows from one caption to another."""
    from pathlib import Path

    from zoo.errors import ZooError
    from zoo.images import save_grid

    if not hasattr(model, "generate_from_text"):
        raise ZooError(f"{model.name} does not take text (its condition is {model.sampler.condition.kind!r}); "
                       "drop --text / --text-file")
    if args.label:
        raise ZooError("--label and --text exclude each other")
    if args.interpolate_to:
        if len(captions) != 1:
            raise ZooError(f"--interpolate-to goes from one caption; got {len(captions)} (pass one --text)")
        samples = model.interpolate_text(captions[0], args.interpolate_to, steps=args.steps, n=args.n, seed=args.seed)
        nrow, what = args.steps, f"{args.n} rows from {captions[0]!r} to {args.interpolate_to!r}"
    else:
        samples = model.generate_from_text(captions, n=args.n, seed=args.seed)
        nrow, what = args.n, f"{args.n} samples of each of {len(captions)} caption(s)"
    spec = model.sampler.output
    path = save_grid(samples, Path(args.output), value_range=spec.value_range, scale=args.scale, nrow=nrow)
    print(f"wrote {what} of {model.name} to {path}")
    return 0


def _truncation(model, truncation: float | None) -> dict:
    """--truncation: passed to generate for generators whose latent declares truncation support."""
    if truncation is None:
        return {}
    from zoo.errors import ZooError

    latent = model.sampler.latent
    if latent is None or not latent.truncation:
        raise ZooError(f"{model.name} does not support the truncation trick; drop --truncation")
    if not truncation > 0:
        raise ZooError(f"--truncation must be > 0, got {truncation}")
    return {"truncation": truncation}


def _labels(model, label: str | None, n: int):
    """--label: one class for every sample, or one per sample; checked against the model's classes."""
    if not label:
        return None
    import torch

    from zoo.errors import ZooError

    condition = model.sampler.condition
    if condition.kind != "class":
        raise ZooError(f"{model.name} is not class-conditional ({condition.kind!r} condition); drop --label")
    try:
        labels = [int(v) for v in label.split(",")]
    except ValueError:
        raise ZooError(f"--label takes class numbers, e.g. 3 or 0,1,2, got {label!r}") from None
    k = condition.num_classes
    bad = [v for v in labels if not 0 <= v < k]
    if bad:
        raise ZooError(f"--label {bad[0]} is out of range: {model.name} has {k} classes (0-{k - 1})")
    if len(labels) not in (1, n):
        raise ZooError(f"--label takes one class or one per sample ({n}), got {len(labels)}")
    return torch.tensor(labels * n if len(labels) == 1 else labels)


def _save_voxels(samples, output, value_range, mesh_format: str, scale: int):
    """STEM.npy (all grids), STEM.png (shaded isometric views, one row per sample) and one mesh per sample."""
    import numpy as np

    from zoo.images import save_grid
    from zoo.voxel_files import save_mesh
    from zoo.voxel_render import render_views

    stem = output.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    np.save(stem.with_suffix(".npy"), samples.cpu().numpy())
    yield stem.with_suffix(".npy")
    pictures = render_views(samples, 32 * scale, value_range=value_range)  # scale sets the picture size
    yield save_grid(pictures, stem.with_suffix(".png"), value_range=(0.0, 1.0), nrow=min(4, len(samples)))
    level = (value_range[0] + value_range[1]) / 2
    for i, volume in enumerate(samples):
        name = stem.with_suffix(f".{mesh_format}") if len(samples) == 1 else \
            stem.parent / f"{stem.name}-{i:03d}.{mesh_format}"
        yield save_mesh(volume, name, level=level)


def cmd_plugins(args) -> int:
    from zoo import registry

    manager = registry.plugin_manager()
    print(json.dumps([info.to_json() for info in manager.infos.values()], indent=2))
    return 0


def cmd_push(args) -> int:
    from zoo.hub import push_to_hub

    print(push_to_hub(args.folder, args.repo_id, private=args.private, revision=args.revision))
    return 0
