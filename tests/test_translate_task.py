"""The `translate` task's additions for pix2pix/CycleGAN (issue 17): the authors' direction names, images of
other sizes than the generator's (tiles with tent weights, reflection padding: checked against a plain
second computation), seeded test-time noise, and `zoo translate` on folders."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import zoo
from zoo import plugins, registry
from zoo.cli.main import main
from zoo.hub import save_pretrained
from zoo.tasks.translate import normalise_direction

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


def _model():
    torch.manual_seed(0)
    return zoo.create("tiny-translate").eval()


def test_direction_aliases(tiny):
    assert [normalise_direction(d) for d in ("AtoB", "atob", "ab", "BtoA", "ba", "xy")] == ["ab", "ab", "ab", "ba", "ba", "xy"]
    model = _model()
    x = torch.rand(1, 3, 8, 8) * 2 - 1
    assert torch.equal(model.translate(x, direction="BtoA"), model.translate(x, direction="ba"))
    assert not torch.equal(model.translate(x, direction="AtoB"), model.translate(x, direction="BtoA"))


def test_other_sizes_are_tent_weighted_tiles(tiny):
    model = _model()
    g = model.components["generator"]
    x = torch.rand(1, 3, 8, 12) * 2 - 1  # 8 x 12: tiles at columns 0, 4 (8 px wide, overlapping by half)
    got = model.translate(x)
    with torch.no_grad():
        left, right = g(None, x[..., 0:8]), g(None, x[..., 4:12])
    tent = torch.tensor([1, 2, 3, 4, 4, 3, 2, 1.0])
    w = tent[:, None] * tent[None, :]
    expected = torch.zeros(1, 3, 8, 12)
    weight = torch.zeros(8, 12)
    expected[..., 0:8] += w * left
    expected[..., 4:12] += w * right
    weight[:, 0:8] += w
    weight[:, 4:12] += w
    assert torch.allclose(got, expected / weight, atol=1e-6)
    assert torch.allclose(got[..., :2], left[..., :2], atol=1e-6)  # only one tile covers the first columns


def test_smaller_images_are_reflection_padded_and_cropped(tiny):
    model = _model()
    g = model.components["generator"]
    x = torch.rand(1, 3, 6, 8) * 2 - 1
    padded = torch.cat([x, x[:, :, [4, 3]]], 2)  # reflection at the bottom: rows 4, 3
    with torch.no_grad():
        expected = g(None, padded)[:, :, :6]
    assert torch.allclose(model.translate(x), expected, atol=1e-6)


def test_seed_fixes_dropout_noise_and_leaves_the_global_rng_alone():
    torch.manual_seed(0)
    model = zoo.create("pix2pix", config={"resolution": 64, "num_downs": 6, "width": 4, "d_width": 4}).eval()
    with torch.no_grad():
        for m in model.components["generator"].modules():
            if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d):
                m.weight.normal_(0, 0.3)
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a = model.translate(x, seed=1)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(a, model.translate(x, seed=1))
    assert not torch.equal(a, model.translate(x, seed=2))


def test_cli_translates_a_folder_and_takes_name_first(tiny, tmp_path, capsys):
    model = _model()
    save_pretrained(model, tmp_path / "m")
    folder = tmp_path / "in"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.jpg"):
        Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(folder / name)
    (folder / "notes.txt").write_text("not an image")
    code = main(["translate", f"local-dir:{tmp_path / 'm'}", str(folder), "-o", str(tmp_path / "out"),
                 "--direction", "BtoA"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png"]
    assert "wrote 2 images" in out
    x = torch.from_numpy(np.asarray(Image.open(folder / "a.png"), dtype=np.float32)).permute(2, 0, 1)[None] / 127.5 - 1
    with torch.no_grad():
        expected = model.components["generator_ba"](None, x)[0]
    got = torch.from_numpy(np.asarray(Image.open(tmp_path / "out" / "a.png"), dtype=np.float32)).permute(2, 0, 1)
    assert (got - ((expected + 1) * 127.5).round().clamp(0, 255)).abs().max() <= 1
    code = main(["translate", str(tmp_path / "empty-missing"), "-m", f"local-dir:{tmp_path / 'm'}", "-o", str(tmp_path / "x.png")])
    assert code != 0 and capsys.readouterr().err.count("\n") == 1
