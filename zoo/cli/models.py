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


def cmd_push(args) -> int:
    from zoo.hub import push_to_hub

    print(push_to_hub(args.folder, args.repo_id, private=args.private, revision=args.revision))
    return 0
