"""Measure a gan3d / gan3d-vae model and draw the README's figures.

Scores (zoo.metrics.voxel_scores): 600 generated shapes (seed 0) judged against the 600 held-out
`voxels` shapes: Fréchet distance in the voxel judge's features, class spread and confidence, occupancy
and connected components, with the same numbers of the held-out shapes as the ceiling; for the
3D-VAE-GAN also the IoU of shapes reconstructed from their held-out views.

Figures (PREFIX-*.png in --figures): a grid of 16 samples (two isometric views each), an interpolation
strip between two samples (3D-VAE-GAN: between the codes of two held-out views), a shape-arithmetic row (a, b, c, a − b + c; Figure 6 of the paper) and, for
the 3D-VAE-GAN, held-out views with the true shapes and their reconstructions. A mesh of the first
sample is written (marching cubes at 0.5) and read back; its vertex and face counts are reported.

Shape arithmetic needs shapes that differ in one known way. Among 256 samples (seed 1), the judge's
class and the occupancy pick a = the fullest shape of the most common class, b = its emptiest shape,
c = the emptiest shape of the next class, so a − b is "bigger" and a − b + c should be a bigger c
(for the 3D-VAE-GAN the codes are those of held-out views, picked by their true class and occupancy).

    python -m zoo_plugins.gan3d.measure gan3d.voxels-32 --figures docs/images --json runs/gan3d.json
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from zoo.images import save_grid
from zoo.voxel_render import render_views, render_voxels


def _pictures(volumes, size=96):
    return render_voxels(volumes.cpu(), size)


@torch.no_grad()
def _arithmetic_codes(model, judge):
    """Latents (a, b, c) and what they are, chosen as the module docstring says."""
    from zoo.metrics.voxel_scores import binary, judge_outputs

    if "encoder" in model.components:
        from zoo.data.voxel_views import VoxelViews

        views = VoxelViews(model.sampler.output.shape[-1], "val", size=240,
                           image_size=model.components["encoder"].input.shape[-1]).tensors()
        codes = model.encode(views["image"])
        classes, shapes = views["label"], views["voxels"]
    else:
        codes = model.sampler.sample_latent(256, generator=torch.Generator().manual_seed(1))
        shapes = torch.cat([model.sampler(c.to(model.device)).cpu() for c in codes.split(64)])
        classes = judge_outputs(judge, binary(shapes))[1].argmax(1)
    occupancy = binary(shapes).flatten(1).mean(1)
    counts = torch.bincount(classes, minlength=6)
    order = counts.argsort(descending=True).tolist()
    first = order[0]
    second = order[1] if counts[order[1]] > 0 else first  # a collapsed generator: one class only
    in_first = (classes == first).nonzero().flatten()
    in_second = (classes == second).nonzero().flatten()
    if second == first:  # c: the median-sized shape, so that b and c differ
        in_second = in_first[occupancy[in_first].argsort()[len(in_first) // 2:]]
    a = in_first[occupancy[in_first].argmax()]
    b = in_first[occupancy[in_first].argmin()]
    c = in_second[occupancy[in_second].argmin()]
    return codes[a].cpu(), codes[b].cpu(), codes[c].cpu(), (first, second)


@torch.no_grad()
def figures(model, out: Path, prefix: str, judge, mesh_dir: Path) -> dict:
    from zoo.data.voxels import CLASSES
    from zoo.metrics.voxel_scores import binary, judge_outputs
    from zoo.voxel_files import read_mesh, save_mesh

    out.mkdir(parents=True, exist_ok=True)
    report = {}
    samples = model.generate(16, seed=0).cpu()
    save_grid(render_views(samples, 96), out / f"{prefix}-samples.png", value_range=(0.0, 1.0), nrow=4)
    g = model.sampler
    if "encoder" in model.components:  # between the codes of two held-out views (a sphere and a torus)
        from zoo.data.voxel_views import VoxelViews

        pair = VoxelViews(g.output.shape[-1], "val", size=6,
                          image_size=model.components["encoder"].input.shape[-1]).tensors()["image"][[0, 4]]
        za, zb = model.encode(pair).cpu()
    else:
        za, zb = (g.sample_latent(1, generator=torch.Generator().manual_seed(s))[0] for s in (2, 3))
    strip = model.interpolate(za, zb, steps=8).cpu()
    save_grid(_pictures(strip), out / f"{prefix}-interpolate.png", value_range=(0.0, 1.0), nrow=8)
    a, b, c, (first, second) = _arithmetic_codes(model, judge)
    row = model.shape_arithmetic(a, b, c).cpu()
    save_grid(_pictures(row), out / f"{prefix}-arithmetic.png", value_range=(0.0, 1.0), nrow=4)
    probs = judge_outputs(judge, binary(row))[1]
    report["arithmetic"] = {
        "a_minus_b_plus_c": f"big {CLASSES[first]} - small {CLASSES[first]} + small {CLASSES[second]}",
        "judged": [CLASSES[k] for k in probs.argmax(1).tolist()],
        "occupancy": [round(float(v), 4) for v in binary(row).flatten(1).mean(1)]}
    path = save_mesh(samples[0], mesh_dir / f"{prefix}-sample0.obj", level=0.5)
    verts, faces = read_mesh(path)
    report["mesh"] = {"file": str(path), "vertices": int(len(verts)), "faces": int(len(faces))}
    if "encoder" in model.components:
        from zoo.data.voxel_views import VoxelViews

        views = VoxelViews(g.output.shape[-1], "val", size=6,
                           image_size=model.components["encoder"].input.shape[-1]).tensors()
        recon = model.reconstruct(views["image"]).cpu()
        size = 96
        inputs = torch.nn.functional.interpolate((views["image"] + 1) / 2, size=size, mode="nearest")
        rows = torch.stack([inputs, _pictures(views["voxels"], size), _pictures(recon, size)], 1).flatten(0, 1)
        save_grid(rows, out / f"{prefix}-reconstruct.png", value_range=(0.0, 1.0), nrow=3)
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--figures", type=Path)
    parser.add_argument("--prefix", default=None)
    parser.add_argument("--json", type=Path)
    parser.add_argument("-n", type=int, default=600)
    parser.add_argument("--mesh-dir", type=Path, default=Path("runs"), help="where the sample mesh is written")
    args = parser.parse_args(argv)
    import zoo
    from zoo.metrics.voxel_judge import VoxelJudge
    from zoo.metrics.voxel_scores import judge_voxel_model, reconstruction_iou

    torch.set_num_threads(1)
    model = zoo.load(args.name).eval()
    judge = VoxelJudge.pretrained()
    report = {"name": args.name, "scores": judge_voxel_model(model, n=args.n, judge=judge)}
    if "encoder" in model.components:
        report["reconstruction"] = reconstruction_iou(model)
    if args.figures:
        prefix = args.prefix or args.name.split(":")[-1].replace("/", "-").replace(".", "-")
        report.update(figures(model, args.figures, prefix, judge, args.mesh_dir))
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
