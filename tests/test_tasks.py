"""The task mixins and their commands on tiny architectures (tests/tiny_tasks.py, loaded through the plugin
manager as the plugin "tiny-tasks"), with expectations computed by hand or by a second plain path."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import zoo
from zoo import plugins, registry
from zoo.cli.main import main
from zoo.errors import ShapeError, TaskNotSupportedError
from zoo.hub import save_pretrained
from zoo.records import Architecture, Paper
from zoo.tasks import slerp
from zoo.tasks.checks import InputValueError

HERE = Path(__file__).parent


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setitem(plugins.DEFAULT_PLUGINS, "tiny-tasks", "tiny_tasks")
    monkeypatch.setenv("GENZOO_LOAD_PLUGINS", "tiny-tasks")
    monkeypatch.setenv("GENZOO_STRICT_PLUGINS", "1")
    registry.reset()
    yield registry.catalog()
    registry.reset()


def make(name: str, seed: int = 0):
    torch.manual_seed(seed)
    return zoo.create(name).eval()


def saved(tmp_path, name: str, seed: int = 0) -> tuple[str, object]:
    model = make(name, seed)
    save_pretrained(model, tmp_path / name)
    return f"local-dir:{tmp_path / name}", model


def uint8(x: torch.Tensor) -> np.ndarray:
    """[-1, 1] floats to 0-255 as a plain second path: (x + 1) * 127.5, rounded half up."""
    return np.clip(np.floor((x.numpy() + 1) * 127.5 + 0.5), 0, 255).astype(np.uint8)


def write_png(path: Path, x: torch.Tensor) -> Path:
    Image.fromarray(uint8(x).transpose(1, 2, 0)).save(path)
    return path


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("zoo: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# -- the open task set ------------------------------------------------------------------------------
def test_task_names_are_built_in_or_mixin_paths():
    paper = Paper("t", "a", 2026)
    assert Architecture("x", paper, {"generator": "m:G"}, tasks=("generate", "my_plugin.tasks:Warp")).tasks
    with pytest.raises(ValueError, match="unknown task 'upscael'.*Did you mean: upscale"):
        Architecture("x", paper, {"generator": "m:G"}, tasks=("upscael",))
    with pytest.raises(ValueError, match="must be a built-in task or look like"):
        Architecture("x", paper, {"generator": "m:G"}, tasks=("not a module:Warp",))


def test_a_plugin_ships_its_own_task_mixin(tiny):
    model = make("tiny-cond")
    assert model.tasks == ("generate", "tiny_tasks:DoubleTask")
    assert torch.equal(model.double_generate(3, seed=1), 2 * model.generate(3, seed=1))


def test_a_task_mixin_that_cannot_be_imported_is_a_clear_error():
    from zoo.model import model_class

    with pytest.raises(TaskNotSupportedError, match="'no_such_module_xyz:Mixin' cannot be imported"):
        model_class(("generate", "no_such_module_xyz:Mixin"))


def test_a_model_without_a_task_says_so(tiny):
    model = make("tiny-sr")
    assert not hasattr(model, "generate")
    with pytest.raises(TaskNotSupportedError, match="tiny-sr cannot generate: its tasks are upscale"):
        model.generate(1)


# -- generate ---------------------------------------------------------------------------------------
def test_generate_draws_latents_and_labels_as_one_seeded_draw(tiny):
    model = make("tiny-cond")
    gen = torch.Generator().manual_seed(7)
    z = torch.randn(5, 2, generator=gen)
    c = torch.randint(10, (5,), generator=gen)
    with torch.no_grad():
        expected = model.generator(z, c)
    assert torch.allclose(model.generate(5, seed=7, batch_size=2), expected, atol=1e-6)  # same draws; batched matmuls may round differently


def test_generate_is_the_same_whatever_the_batch_size(tiny, monkeypatch):
    monkeypatch.setattr("zoo.tasks.generate.LATENT_BLOCK", 1024)  # several blocks in a small request
    model = make("tiny-cond")
    a = model.generate(2100, seed=3, batch_size=2100)
    b = model.generate(2100, seed=3, batch_size=97)
    assert torch.allclose(a, b, atol=1e-6)
    assert not torch.allclose(a[:1024], a[1024:2048])  # blocks are drawn from different seeds


def test_generate_passes_generator_kwargs(tiny):
    model = make("tiny-style")
    model.generate(3, seed=0, batch_size=2, truncation_psi=0.5, noise_mode="random")
    assert model.generator.recorded_kwargs == [{"truncation_psi": 0.5, "noise_mode": "random"}] * 2
    # psi 0 with w_avg = 0 makes every w zero: every sample is the synthesis of zeros
    out = model.generate(2, seed=0, truncation_psi=0.0)
    with torch.no_grad():
        zero = model.generator.synthesis(torch.zeros(1, 4, 4))
    assert torch.allclose(out, zero.expand(2, -1, -1, -1))


def test_streamed_generate_equals_in_memory(tiny, tmp_path):
    model = make("tiny-style")
    paths = model.generate_to(tmp_path / "out", 5, seed=4, batch_size=2)
    images = model.generate(5, seed=4)
    assert [p.name for p in paths] == [f"{i:06d}.png" for i in range(5)]
    for path, image in zip(paths, images):
        assert np.array_equal(np.asarray(Image.open(path)), uint8(image).transpose(1, 2, 0))


@pytest.mark.parametrize("n", [0, -3, 2.5])
def test_generate_refuses_a_bad_count(tiny, n):
    with pytest.raises(InputValueError, match="n must be a positive integer"):
        make("tiny-style").generate(n)


def test_generate_refuses_labels_out_of_range(tiny):
    with pytest.raises(InputValueError, match=r"class labels must lie in \[0, 9\]"):
        make("tiny-cond").generate(2, c=torch.tensor([1, 12]))


# -- slerp ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("a,b", [([0.0, 0.0], [1.0, 2.0]), ([0.0, 0.0], [0.0, 0.0]),
                                 ([1.0, 2.0], [2.0, 4.0]), ([1.0, 2.0], [-1.0, -2.0])])
def test_slerp_of_degenerate_latents_is_lerp(a, b):
    a, b = torch.tensor([a]), torch.tensor([b])
    out = slerp(a, b, 0.25)
    assert torch.isfinite(out).all()
    assert torch.allclose(out, a + 0.25 * (b - a))


def test_slerp_follows_the_great_circle():
    a, b = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    half = 2 ** -0.5
    assert torch.allclose(slerp(a, b, 0.5), torch.tensor([[half, half]]))


# -- upscale ----------------------------------------------------------------------------------------
def test_tiled_upscale_equals_untiled(tiny):
    model = make("tiny-sr")
    x = torch.rand(2, 3, 21, 19) * 2 - 1
    with torch.no_grad():
        whole = model.generator(None, x)  # the network on the whole image, no task code involved
    assert model.upscale(x).shape == (2, 3, 42, 38)
    assert torch.allclose(model.upscale(x, tile=6, overlap=2), whole, atol=1e-5)
    # a context narrower than the receptive field shows seams: the check above can fail
    assert not torch.allclose(model.upscale(x, tile=6, overlap=0), whole, atol=1e-3)


@pytest.mark.parametrize("bad,message", [
    (torch.rand(1, 3, 8, 8) * 255, r"values must lie in \[-1, 1\]"),
    (torch.full((1, 3, 8, 8), float("nan")), "NaN"),
    (torch.zeros(1, 3, 8, 8, dtype=torch.uint8), "must be floats"),
    (torch.zeros(1, 4, 8, 8), r"shape \(N, 3, H, W\)"),
])
def test_upscale_refuses_bad_images(tiny, bad, message):
    with pytest.raises((InputValueError, ShapeError), match=message):
        make("tiny-sr").upscale(bad)


# -- inpaint, synthesize, translate -----------------------------------------------------------------
def test_inpaint_keeps_known_pixels_and_fills_holes_from_the_generator(tiny):
    model = make("tiny-inpaint")
    x = torch.rand(2, 3, 8, 8) * 2 - 1
    mask = torch.zeros(2, 1, 8, 8)
    mask[:, :, 2:5, 3:7] = 1
    out = model.inpaint(x, mask, seed=3)
    keep = (mask == 0).expand_as(x)
    assert torch.equal(out[keep], x[keep])
    condition = torch.cat([x * (1 - mask), mask], 1)
    z = torch.randn(2, 2, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        filled = model.generator(z, condition)
    assert torch.allclose(out[~keep], filled[~keep])
    with pytest.raises(InputValueError, match="mask values must be 0"):
        model.inpaint(x, mask * 0.5)
    with pytest.raises(ShapeError, match=r"mask must have shape \(2, 1, 8, 8\)"):
        model.inpaint(x, torch.zeros(1, 1, 4, 4))


def test_synthesize_accepts_label_maps_and_one_hot_maps_alike(tiny):
    model = make("tiny-spade")
    labels = torch.randint(3, (2, 8, 8), generator=torch.Generator().manual_seed(0))
    one_hot = torch.zeros(2, 3, 8, 8)
    for n in range(2):
        for i in range(8):
            for j in range(8):
                one_hot[n, labels[n, i, j], i, j] = 1
    a, b = model.synthesize(labels, seed=1), model.synthesize(one_hot, seed=1)
    z = torch.randn(2, 2, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = model.generator(z, one_hot)
    assert torch.equal(a, b) and torch.allclose(a, expected)
    with pytest.raises(InputValueError, match=r"labels must lie in \[0, 2\]"):
        model.synthesize(labels + 1)


def test_translate_directions_use_their_own_generator(tiny):
    model = make("tiny-translate")
    x = torch.rand(1, 3, 8, 8) * 2 - 1
    with torch.no_grad():
        ab, ba = model.components["generator"](None, x), model.components["generator_ba"](None, x)
    assert not torch.allclose(ab, ba)
    assert torch.equal(model.translate(x), ab)
    assert torch.equal(model.translate(x, direction="ba"), ba)
    with pytest.raises(InputValueError, match="no direction 'xy'; it translates 'ab' and 'ba'"):
        model.translate(x, direction="xy")


# -- mix_styles, project ----------------------------------------------------------------------------
def test_mix_styles_takes_the_chosen_layers_from_the_columns(tiny):
    model = make("tiny-style")
    g = model.generator

    def w_of(seed):  # mapping by hand: Linear(z) of the z that generate(1, seed) draws
        z = torch.randn(1, 4, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            return (z @ g.mapping_layer.weight.T + g.mapping_layer.bias)[0]

    rows, cols = [1, 2, 3], [10, 11]
    g.recorded_ws.clear()
    images = model.mix_styles(rows, cols, col_styles=[1, 3])
    assert images.shape == (3, 2, 3, 8, 8)
    ws = g.recorded_ws[-1].view(3, 2, 4, 4)
    for r, rs in enumerate(rows):
        for c, cs in enumerate(cols):
            for layer in range(4):
                expected = w_of(cs) if layer in (1, 3) else w_of(rs)
                assert torch.allclose(ws[r, c, layer], expected, atol=1e-6)
    with pytest.raises(InputValueError, match=r"style layers must lie in \[0, 3\]"):
        model.mix_styles([1], [2], col_styles=[4])


def test_project_recovers_a_w_the_generator_made(tiny):
    model = make("tiny-style")
    g = model.generator
    with torch.no_grad():
        g.noise_strength.zero_()  # a target the generator made with w alone
        w_true = g.mapping(torch.randn(1, 4, generator=torch.Generator().manual_seed(5)))[:, 0]
        target = g.synthesis(w_true[:, None].expand(-1, 4, -1))
    result = model.project(target, steps=300, lr=0.1)
    assert result.space == "w" and result.latent.shape == (1, 4)
    assert result.losses[-1] < 0.01 * result.losses[0]
    assert torch.allclose(result.latent, w_true, atol=0.05)
    assert torch.allclose(result.image, target, atol=0.02)


def test_project_into_z_starts_from_the_nearest_prior_draw_and_recovers_the_image(tiny):
    model = make("tiny-latent")
    g = model.generator
    z_true = torch.randn(1, 4, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        target = g(z_true)
        draws = torch.randn(64, 4, generator=torch.Generator().manual_seed(3))  # project's own draws (seed 3)
        nearest = min(float(F.mse_loss(g(d[None]), target)) for d in draws)
    result = model.project(target, steps=200, seed=3, w_avg_samples=64)
    assert result.space == "z" and result.latent.shape == (1, 4)
    assert result.losses[0] <= nearest + 1e-6  # the first step starts at the nearest draw (lr ramps from ~0)
    assert float(F.mse_loss(result.image, target)) < 1e-4
    assert float(F.cosine_similarity(result.latent, z_true)) > 0.99  # the direction is what the image shows


# -- voxels -----------------------------------------------------------------------------------------
def test_voxel_generate_gives_grids(tiny):
    out = make("tiny-voxel").generate(2, seed=0)
    assert out.shape == (2, 1, 12, 12, 12) and 0 <= float(out.min()) and float(out.max()) <= 1


# -- the commands, end to end on files --------------------------------------------------------------
def test_cli_generate_voxels_writes_npy_png_and_mesh(tiny, tmp_path, capsys):
    name, model = saved(tmp_path, "tiny-voxel")
    code, out, err = run_cli(capsys, "generate", name, "-n", 1, "--seed", 2, "-o", tmp_path / "ball.png")
    assert code == 0, err
    grid = np.load(tmp_path / "ball.npy")
    assert np.allclose(grid, model.generate(1, seed=2).numpy(), atol=1e-6)
    assert Image.open(tmp_path / "ball.png").size[0] > 0
    vertices = [line for line in (tmp_path / "ball.obj").read_text().splitlines() if line.startswith("v ")]
    faces = [line for line in (tmp_path / "ball.obj").read_text().splitlines() if line.startswith("f ")]
    assert len(vertices) > 0 and len(faces) > 0
    radii = np.linalg.norm(np.array([[float(v) for v in line.split()[1:]] for line in vertices]) - 5.5, axis=1)
    assert 2.5 < radii.min() and radii.max() < 4.5  # the surface of a ball of radius 3.5 +- 0.5 about the centre
    code, _, err = run_cli(capsys, "generate", name, "-n", 2, "--mesh", "ply", "-o", tmp_path / "two.png")
    assert code == 0 and (tmp_path / "two-001.ply").read_text().startswith("ply\n")


def test_cli_generate_streams_large_requests_to_a_folder(tiny, tmp_path, capsys, monkeypatch):
    import zoo.cli.models

    name, model = saved(tmp_path, "tiny-style")
    monkeypatch.setattr(zoo.cli.models, "STREAM_ABOVE", 4)
    code, _, err = run_cli(capsys, "generate", name, "-n", 6, "--seed", 1, "-o", tmp_path / "many.png")
    assert code == 0, err
    files = sorted((tmp_path / "many").iterdir())
    assert len(files) == 6
    assert np.array_equal(np.asarray(Image.open(files[5])), uint8(model.generate(6, seed=1)[5]).transpose(1, 2, 0))


@pytest.mark.parametrize("argv,fragment", [
    (["-n", "0"], "-n must be a positive number of samples, got 0"),
    (["-n", "-3"], "got -3"),
    (["--label", "12"], "--label 12 is out of range: tiny-cond has 10 classes (0-9)"),
    (["--scale", "0"], "--scale must be a positive integer, got 0"),
    (["--label", "a"], "--label takes class numbers"),
])
def test_cli_generate_bad_options_fail_in_one_line(tiny, tmp_path, capsys, argv, fragment):
    name, _ = saved(tmp_path, "tiny-cond")
    code, _, err = run_cli(capsys, "generate", name, *argv, "-o", tmp_path / "x.png")
    assert_one_line_error(code, err, fragment)
    assert not (tmp_path / "x.png").exists()


def test_cli_upscale_inpaint_synthesize_translate(tiny, tmp_path, capsys):
    x = torch.rand(3, 10, 12) * 2 - 1
    source = write_png(tmp_path / "in.png", x)
    exact = torch.from_numpy(uint8(x).astype(np.float32)) / 127.5 - 1  # what the PNG holds

    name, model = saved(tmp_path, "tiny-sr")
    code, out, err = run_cli(capsys, "upscale", source, "-o", tmp_path / "up.png", "-m", name, "--tile", 4,
                             "--overlap", 2)
    assert code == 0, err
    with torch.no_grad():
        expected = model.generator(None, exact[None])[0]
    assert np.abs(np.asarray(Image.open(tmp_path / "up.png"), dtype=int)
                  - uint8(expected).transpose(1, 2, 0).astype(int)).max() <= 1

    small = write_png(tmp_path / "small.png", x[:, :8, :8])
    mask = np.zeros((8, 8), np.uint8)
    mask[2:5, 2:5] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    name, _ = saved(tmp_path, "tiny-inpaint")
    code, out, err = run_cli(capsys, "inpaint", small, tmp_path / "mask.png", "-o", tmp_path / "filled.png",
                             "-m", name)
    assert code == 0, err
    filled, known = np.asarray(Image.open(tmp_path / "filled.png")), np.asarray(Image.open(small))
    assert np.array_equal(filled[mask == 0], known[mask == 0])

    labels = np.random.default_rng(0).integers(0, 3, (8, 8)).astype(np.uint8)
    Image.fromarray(labels, mode="L").save(tmp_path / "labels.png")
    np.save(tmp_path / "labels.npy", labels.astype(np.int64))
    name, _ = saved(tmp_path, "tiny-spade")
    for source_map, out_name in (("labels.png", "a.png"), ("labels.npy", "b.png")):
        code, out, err = run_cli(capsys, "synthesize", tmp_path / source_map, "-o", tmp_path / out_name, "-m", name)
        assert code == 0, err
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")), np.asarray(Image.open(tmp_path / "b.png")))

    name, model = saved(tmp_path, "tiny-translate")
    code, _, err = run_cli(capsys, "translate", small, "-o", tmp_path / "ba.png", "-m", name, "--direction", "ba")
    assert code == 0, err
    with torch.no_grad():
        ba = model.components["generator_ba"](None, exact[None, :, :8, :8])[0]
    assert np.abs(np.asarray(Image.open(tmp_path / "ba.png"), dtype=int)
                  - uint8(ba).transpose(1, 2, 0).astype(int)).max() <= 1


def test_cli_mix_and_project(tiny, tmp_path, capsys):
    name, model = saved(tmp_path, "tiny-style")
    code, out, err = run_cli(capsys, "mix", name, "--rows-seeds", "1-3", "--cols-seeds", "7,8",
                             "--styles", "0,1", "-o", tmp_path / "mix.png")
    assert code == 0, err
    assert Image.open(tmp_path / "mix.png").size == (3 * 10 + 2, 4 * 10 + 2)  # (1 + cols) x (1 + rows) cells

    target = write_png(tmp_path / "target.png", model.generate(1, seed=9)[0])
    code, _, err = run_cli(capsys, "project", name, target, "-o", tmp_path / "proj.png", "--steps", 40)
    assert code == 0, err
    assert np.load(tmp_path / "proj.npy").shape == (1, 4)
    assert Image.open(tmp_path / "proj.png").size == (8, 8)


def test_cli_task_commands_fail_in_one_line(tiny, tmp_path, capsys):
    x = torch.rand(3, 8, 8) * 2 - 1
    image = write_png(tmp_path / "in.png", x)
    sr, _ = saved(tmp_path, "tiny-sr")
    translate, _ = saved(tmp_path, "tiny-translate")
    spade, _ = saved(tmp_path, "tiny-spade")
    inpaint, _ = saved(tmp_path, "tiny-inpaint")
    style, _ = saved(tmp_path, "tiny-style")
    Image.fromarray(np.full((4, 4), 255, np.uint8)).save(tmp_path / "small-mask.png")
    Image.fromarray(np.full((8, 8), 7, np.uint8)).save(tmp_path / "labels.png")
    cases = [
        (["translate", image, "-o", tmp_path / "o.png", "-m", translate, "--direction", "xy"], "no direction 'xy'"),
        (["mix", sr, "--rows-seeds", "1", "--cols-seeds", "2", "-o", tmp_path / "o.png"], "cannot mix_styles"),
        (["project", sr, image, "-o", tmp_path / "o.png"], "cannot project"),
        (["upscale", tmp_path / "missing.png", "-o", tmp_path / "o.png", "-m", sr], "no such file"),
        (["upscale", image, "-o", tmp_path / "o.png", "-m", sr, "--tile", "-1"], "--tile and --overlap"),
        (["synthesize", tmp_path / "labels.png", "-o", tmp_path / "o.png", "-m", spade], "labels must lie in [0, 2]"),
        (["inpaint", image, tmp_path / "small-mask.png", "-o", tmp_path / "o.png", "-m", inpaint],
         "mask must have shape (1, 1, 8, 8)"),
        (["mix", style, "--rows-seeds", "x", "--cols-seeds", "2", "-o", tmp_path / "o.png"], "--rows-seeds takes"),
    ]
    for argv, fragment in cases:
        code, _, err = run_cli(capsys, *argv)
        assert_one_line_error(code, err, fragment)
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("scale,nan", [(255.0, False), (1.0, True)])
def test_encode_refuses_pixels_out_of_range_or_nan(scale, nan):
    arch = registry.catalog().architecture("vae")
    model = zoo.create("vae", config=arch.test_config).eval()
    shape = model.components["encoder"].input.shape
    x = torch.rand(2, *shape) * scale
    if nan:
        x[0, 0, 0, 0] = float("nan")
    with pytest.raises(InputValueError, match="image to encode (values must lie in|contains NaN)"):
        model.encode(x)
    assert model.encode(torch.rand(2, *shape)).shape[0] == 2  # in range: encoded


def test_an_image_condition_may_declare_its_own_value_range():
    """SRGAN takes its low-resolution input in [0, 1] and gives [-1, 1]: the condition's range is checked."""
    from types import SimpleNamespace

    from zoo.interfaces import ConditionSpec, OutputSpec
    from zoo.tasks.checks import input_range

    unit = SimpleNamespace(condition=ConditionSpec("low_res_image", (3, 8, 8), value_range=(0.0, 1.0)),
                           output=OutputSpec((3, 32, 32)))
    plain = SimpleNamespace(condition=ConditionSpec("low_res_image", (3, 8, 8)), output=OutputSpec((3, 32, 32)))
    assert input_range(unit) == (0.0, 1.0) and input_range(plain) == (-1.0, 1.0)
    with pytest.raises(ValueError, match="low < high"):
        ConditionSpec("image", (3, 8, 8), value_range=(1.0, 0.0))
