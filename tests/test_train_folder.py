"""`zoo train` on the data a user chooses: their own folder (`--data-root`), or how many items a
dataset draws (`--data-size`)."""
from __future__ import annotations

import numpy as np
from PIL import Image

import zoo
from zoo.cli import main


def test_zoo_train_on_a_folder_of_images(tmp_path):
    rng = np.random.default_rng(0)
    for cls in ("cats", "dogs"):
        (tmp_path / "data" / cls).mkdir(parents=True)
        for i in range(12):
            pixels = rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / "data" / cls / f"{i}.png")
    out = tmp_path / "run"
    assert main(["train", "dcgan", "--dataset", "folder", "--data-root", str(tmp_path / "data"), "--steps", "2",
                 "--batch-size", "4", "--no-progress", "--out", str(out),
                 "--config", "resolution=16", "g_width=4", "d_width=4", "latent_dim=8"]) == 0
    model = zoo.load(f"local-dir:{out}")
    assert model.generate(2, seed=0).shape == (2, 3, 16, 16)
    assert "--data-root" in (out / "README.md").read_text()


def test_a_data_root_for_a_dataset_that_reads_no_files_is_refused(tmp_path, capsys):
    code = main(["train", "dcgan", "--dataset", "digits", "--data-root", str(tmp_path), "--steps", "1",
                 "--out", str(tmp_path / "run"), "--no-progress"])
    assert code == 2
    assert "takes no data root" in capsys.readouterr().err


def test_data_size_sets_how_many_crops_a_run_draws_and_a_resume_must_keep_it(tmp_path, capsys):
    out = str(tmp_path / "run")
    tiny = ["--config", "resolution=16", "width=4", "blocks=1"]
    assert main(["train", "srresnet", "--dataset", "photos-sr", "--data-size", "40", "--steps", "2",
                 "--batch-size", "4", "--no-progress", "--out", out, *tiny]) == 0
    assert "--data-size 40" in (tmp_path / "run" / "README.md").read_text()  # the recipe reproduces it
    # the checkpoint's shuffled order covers the 40 drawn crops; a resume drawing 48 is refused, not mixed
    code = main(["train", "srresnet", "--dataset", "photos-sr", "--data-size", "48", "--steps", "3",
                 "--batch-size", "4", "--no-progress", "--out", out, "--resume", *tiny])
    assert code == 2
    assert "drawn from 40 examples, this dataset has 48" in capsys.readouterr().err


def test_a_data_size_for_a_dataset_of_fixed_size_is_refused(tmp_path, capsys):
    code = main(["train", "dcgan", "--dataset", "digits", "--data-size", "100", "--steps", "1",
                 "--out", str(tmp_path / "run"), "--no-progress"])
    assert code == 2
    assert "takes no data size" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
