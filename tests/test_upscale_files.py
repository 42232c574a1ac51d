"""`zoo upscale NAME IN -o OUT` on pictures of every kind and on folders: RGB, greyscale (stays grey),
RGBA (alpha kept, upscaled by the same model), a folder with a bar; the expectations are the model run on
the picture's planes by hand."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from zoo import api
from zoo.cli.main import main
from zoo.hub import save_pretrained


@pytest.fixture(scope="module")
def sr_model(tmp_path_factory):
    torch.manual_seed(0)
    model = api.create("esrgan", config={"network": "srvgg", "nf": 4, "num_conv": 1, "scale": 2,
                                         "resolution": 16, "d_width": 2})
    folder = tmp_path_factory.mktemp("sr") / "tiny-srvgg"
    save_pretrained(model, folder)
    return f"local-dir:{folder}", model


def _by_hand(model, planes_0_255: np.ndarray) -> np.ndarray:
    """The model on (k, H, W) planes of 0-255 values (k = 1 or 3; one plane is given as three), as 0-255."""
    x = torch.from_numpy(planes_0_255.astype(np.float32) / 255)[None]
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    with torch.no_grad():
        out = model.components["generator"](None, x).clamp(0, 1)
    if planes_0_255.shape[0] == 1:
        out = out.mean(1, keepdim=True)
    return (out[0] * 255).round().numpy()


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    return code, capsys.readouterr()


def test_rgba_keeps_its_alpha_and_greyscale_stays_grey(sr_model, tmp_path, capsys):
    name, model = sr_model
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, (6, 7, 4), dtype=np.uint8)
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a.png")
    code, (out, err) = _run(capsys, "upscale", name, tmp_path / "a.png", "-o", tmp_path / "a2.png")
    assert code == 0, err
    result = Image.open(tmp_path / "a2.png")
    assert result.mode == "RGBA" and result.size == (14, 12)
    got = np.asarray(result).astype(int)
    assert np.abs(got[..., :3] - _by_hand(model, rgba[..., :3].transpose(2, 0, 1)).transpose(1, 2, 0)).max() <= 1
    assert np.abs(got[..., 3] - _by_hand(model, rgba[None, ..., 3])[0]).max() <= 1

    grey = rng.integers(0, 256, (5, 5), dtype=np.uint8)
    Image.fromarray(grey, mode="L").save(tmp_path / "g.png")
    code, (out, err) = _run(capsys, "upscale", tmp_path / "g.png", "-o", tmp_path / "g2.png", "-m", name)
    assert code == 0, err
    result = Image.open(tmp_path / "g2.png")
    assert result.mode == "L" and result.size == (10, 10)
    assert np.abs(np.asarray(result).astype(int) - _by_hand(model, grey[None])[0]).max() <= 1


def test_a_folder_is_upscaled_picture_by_picture(sr_model, tmp_path, capsys):
    name, model = sr_model
    (tmp_path / "in").mkdir()
    rng = np.random.default_rng(1)
    pictures = {f"p{i}.png": rng.integers(0, 256, (4 + i, 5, 3), dtype=np.uint8) for i in range(3)}
    for file, pixels in pictures.items():
        Image.fromarray(pixels).save(tmp_path / "in" / file)
    (tmp_path / "in" / "notes.txt").write_text("not a picture")
    code, (out, err) = _run(capsys, "upscale", name, tmp_path / "in", "-o", tmp_path / "out", "--tile", 3,
                            "--overlap", 4)
    assert code == 0, err
    assert "wrote 3 pictures" in out and sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(pictures)
    for file, pixels in pictures.items():
        got = np.asarray(Image.open(tmp_path / "out" / file)).astype(int)
        assert np.abs(got - _by_hand(model, pixels.transpose(2, 0, 1)).transpose(1, 2, 0)).max() <= 1


@pytest.mark.parametrize("argv,fragment", [
    (["upscale", "{name}", "{tmp}/missing.png", "-o", "{tmp}/o.png"], "no such file"),
    (["upscale", "{tmp}/a.png", "-o", "{tmp}/o.png"], "takes NAME INPUT"),
    (["upscale", "{name}", "{tmp}/empty", "-o", "{tmp}/o"], "no pictures"),
    (["upscale", "{name}", "{tmp}/a.png", "-o", "{tmp}/o.jpg"], "no alpha channel"),
])
def test_user_errors_are_one_line(sr_model, tmp_path, capsys, argv, fragment):
    name, _ = sr_model
    (tmp_path / "empty").mkdir()
    Image.fromarray(np.zeros((4, 4, 4), np.uint8), mode="RGBA").save(tmp_path / "a.png")
    code, (out, err) = _run(capsys, *[a.format(name=name, tmp=tmp_path) for a in argv])
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("zoo: error: ") and fragment in lines[0], err
