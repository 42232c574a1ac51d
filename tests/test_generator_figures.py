"""zoo.generator_figures: the README figures' layouts (cells read back from the PNG and compared with images
rendered here independently), for a style generator (StyleGAN) and a plain latent one (ProGAN)."""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image

import zoo
from zoo.generator_figures import growing_grid, interpolation_grid, is_style_model, mixing_grid, projection_grid
from zoo.images import to_uint8


def tiny(arch):
    torch.manual_seed(0)
    model = zoo.create(arch, config=zoo.create(arch).architecture.test_config)
    g = model.sampler
    if hasattr(g, "set_lod"):
        g.set_lod(0.0)  # fully grown: the figures of a trained model
    return model.eval()


def cell(path, row, col, size, scale=3, padding=2):
    """The (row, col) image of a grid PNG written by save_grid(..., scale=3), at its own size."""
    with Image.open(path) as im:
        a = np.asarray(im.convert("L"))[::scale, ::scale]
    y, x = padding + row * (size + padding), padding + col * (size + padding)
    return a[y:y + size, x:x + size]


def pixels(image):
    return to_uint8(image.clamp(-1, 1))[0].numpy()


def test_mixing_grid_cells_are_the_rows_ws_with_the_columns_coarse_layers(tmp_path):
    model = tiny("stylegan")
    g, size = model.sampler, model.sampler.output.shape[-1]
    path = mixing_grid(model, tmp_path / "mix.png", rows=(1, 2), cols=(3, 4, 5), styles=(0, 1))
    with torch.no_grad():
        rows_ws, cols_ws = model.seed_ws([1, 2]), model.seed_ws([3, 4, 5])
        mixed = rows_ws[1].clone()
        mixed[[0, 1]] = cols_ws[2][[0, 1]]
        expected = {(0, 3): g.synthesis(cols_ws[2:3]), (2, 0): g.synthesis(rows_ws[1:2]),
                    (2, 3): g.synthesis(mixed[None])}
    assert cell(path, 0, 0, size).max() == 0  # the blank corner
    for (r, c), image in expected.items():
        assert np.abs(cell(path, r, c, size).astype(int) - pixels(image[0]).astype(int)).max() <= 1, (r, c)


def test_interpolation_rows_are_z_then_w_for_a_style_model_and_z_for_a_plain_one(tmp_path):
    for arch, rows in (("stylegan", 4), ("progan", 2)):
        model = tiny(arch)
        size = model.sampler.output.shape[-1]
        assert is_style_model(model) == (arch == "stylegan")
        path = interpolation_grid(model, tmp_path / f"{arch}.png", pairs=((0, 1), (2, 3)), steps=5)
        with Image.open(path) as im:
            assert im.size == (3 * (5 * (size + 2) + 2), 3 * (rows * (size + 2) + 2))
        g = model.sampler
        z0, z1 = (g.sample_latent(1, generator=torch.Generator().manual_seed(s), device="cpu") for s in (0, 1))
        with torch.no_grad():  # the middle of five steps: t = 0.5
            expected = [g((z0 + z1) / 2)[0]]
            if rows == 4:
                w0, w1 = g.map_latent(z0, update_w_avg=False), g.map_latent(z1, update_w_avg=False)
                expected.append(g.synthesis((w0 + w1) / 2)[0])
        for row, image in enumerate(expected):
            assert np.abs(cell(path, row, 2, size).astype(int) - pixels(image).astype(int)).max() <= 1, (arch, row)


def test_projection_grid_puts_targets_above_their_projections(tmp_path):
    model = tiny("progan")
    size = model.sampler.output.shape[-1]
    mse = projection_grid(model, tmp_path / "p.png", count=2, steps=3)
    assert len(mse) == 2 and all(m >= 0 for m in mse)
    from zoo.data.digits import load_digits_tensors

    targets, _ = load_digits_tensors(size, "val")
    assert np.abs(cell(tmp_path / "p.png", 0, 1, size).astype(int) - pixels(targets[1]).astype(int)).max() <= 1


def test_growing_grid_stacks_the_first_row_of_the_steps_found(tmp_path):
    samples = tmp_path / "run" / "samples"
    samples.mkdir(parents=True)
    for step, value in ((100, 50), (300, 200)):
        Image.new("L", (8 * 34 + 2, 8 * 34 + 2), value).save(samples / f"step-{step:07d}.png")
    found = growing_grid(tmp_path / "run", tmp_path / "g.png", [100, 200, 300], scale=1)
    assert found == [100, 300]
    with Image.open(tmp_path / "g.png") as im:
        a = np.asarray(im)
    assert a.shape == (2 * 36, 8 * 34 + 2) and a[0, 0] == 50 and a[-1, 0] == 200


def test_growing_grid_without_steps_takes_every_grid_in_step_order(tmp_path):
    samples = tmp_path / "run" / "samples"
    samples.mkdir(parents=True)
    for step, value in ((2000, 90), (500, 10), (1000, 40)):
        Image.new("L", (8 * 34 + 2, 8 * 34 + 2), value).save(samples / f"step-{step:07d}.png")
    Image.new("L", (4, 4)).save(samples / "step-final-copy.png")  # not the trainer's name: not a grid
    assert growing_grid(tmp_path / "run", tmp_path / "g.png", [], scale=1) == [500, 1000, 2000]
    with Image.open(tmp_path / "g.png") as im:
        a = np.asarray(im)
    assert [a[0, 0], a[36, 0], a[72, 0]] == [10, 40, 90]
