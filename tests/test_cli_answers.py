"""Answers the CLI gives a user: unknown reference data named before any download, the documented default
split, seeded and reproducible pictures, paired metrics for image-to-image models, benchmark rows that are
left out said out loud, and --help defaults that are the real defaults."""
from __future__ import annotations

import argparse
import re

import pytest
import torch

from zoo.cli import build_parser, main
from zoo.errors import UnknownNameError


def test_eval_against_unknown_data_names_it_and_suggests(capsys):
    code = main(["eval", "dcgan.digits-32", "--against", "digitz", "-n", "10"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("zoo: error: unknown data set or folder 'digitz'") and "digits" in err
    assert "Inception" not in err and "download" not in err and "Traceback" not in err


def test_eval_against_an_unknown_name_fails_before_anything_is_built(monkeypatch):
    from zoo.metrics import eval as metrics_eval

    def no_extractor(*a, **k):
        raise AssertionError("an extractor was built for a reference that does not exist")

    monkeypatch.setattr("zoo.metrics.extractors.get_extractor", no_extractor)
    with pytest.raises(UnknownNameError, match="nosuchdata"):
        metrics_eval.evaluate("dcgan.digits-32", ["fid"], against="nosuchdata", n=10)


def test_eval_default_split_is_the_held_out_split():
    from zoo.data.digits import Digits
    from zoo.metrics.eval import DEFAULT_SPLIT, reference_images

    held_out = Digits(resolution=32, split="val").images
    images, what = reference_images("digits", resolution=32, channels=1)
    assert DEFAULT_SPLIT == "val" and torch.equal(images, held_out)
    assert what == f"digits (val split, {len(held_out)} images)" and len(held_out) == 359


def test_latent_map_is_reproducible_with_its_seed(tmp_path):
    paths = [tmp_path / f"map{i}.png" for i in range(3)]
    seeds = ["0", "0", "1"]
    for path, seed in zip(paths, seeds):
        assert main(["latent-map", "aae.digits-2d-mixture", "--size", "96", "--seed", seed, "-o", str(path)]) == 0
    a, b, c = (p.read_bytes() for p in paths)
    assert a == b, "two runs with one seed differ"
    assert a != c, "the seed does not reach the prior samples"


class BicubicUpscaler:
    """A stand-in image-to-image model: bicubic ×2 upscaling, in [-1, 1]."""

    name = "bicubic-x2"

    class sampler:  # noqa: N801 (mirrors ZooModel.sampler's specs)
        class condition:  # noqa: N801
            kind, shape = "low_res_image", (3, 8, 8)

        class output:  # noqa: N801
            shape, value_range = (3, 16, 16), (-1.0, 1.0)

    def upscale(self, low_res):
        return torch.nn.functional.interpolate(low_res, scale_factor=2, mode="bicubic", align_corners=False)


def psnr_by_hand(out: torch.Tensor, ref: torch.Tensor) -> float:
    """The SR convention written out plainly: [-1, 1] → 8-bit, BT.601 luma, MSE on 0–255, mean over images."""
    def y(x):
        x = torch.round((x.double().clamp(-1, 1) + 1) * 127.5) / 255.0
        return 16 + 65.481 * x[:, 0] + 128.553 * x[:, 1] + 24.966 * x[:, 2]

    mse = (y(out) - y(ref)).pow(2).flatten(1).mean(1)
    return float((10 * torch.log10(255.0 ** 2 / mse)).mean())


def test_paired_psnr_of_an_upscaler_against_pairs():
    from zoo.metrics.paired import evaluate_paired

    g = torch.Generator().manual_seed(0)
    target = torch.rand(5, 3, 16, 16, generator=g) * 2 - 1
    low_res = torch.nn.functional.avg_pool2d(target, 2)
    result = evaluate_paired(BicubicUpscaler(), ["psnr"], {"low_res": low_res, "image": target}, batch_size=2)
    out = BicubicUpscaler().upscale(low_res)
    assert result["psnr"]["images"] == 5
    assert result["psnr"]["psnr"] == pytest.approx(psnr_by_hand(out, target), abs=1e-4)


def test_paired_metrics_refuse_a_noise_model_and_missing_keys():
    from zoo.errors import ZooError
    from zoo.metrics.paired import evaluate_paired

    class NoiseModel(BicubicUpscaler):
        name = "noise"

        class sampler(BicubicUpscaler.sampler):  # noqa: N801
            class condition:  # noqa: N801
                kind, shape = "none", None

    with pytest.raises(ZooError, match="noise generates from noise"):
        evaluate_paired(NoiseModel(), ["psnr"], {"image": torch.zeros(1, 3, 16, 16)})
    with pytest.raises(ZooError, match="needs pairs with low_res, image"):
        evaluate_paired(BicubicUpscaler(), ["ssim"], {"image": torch.zeros(1, 3, 16, 16)})


def test_bench_says_which_rows_it_leaves_out(capsys):
    code = main(["bench", "dcgan", "--quick", "--task", "generate,encode,reconstruct", "--batch-size", "1",
                 "--iters", "1", "--warmup", "0", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 0
    assert "zoo bench: dcgan: no encode (no encoder); no reconstruct (no encoder)" in err


DEFAULT_IN_HELP = re.compile(r"\(default:? ([^)]*)\)")


def subcommand_actions():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, p in sub.choices.items():
        for action in p._actions:
            if action.help and DEFAULT_IN_HELP.search(action.help):
                yield name, action


def test_help_defaults_are_the_real_defaults():
    """Where a help text states "(default X)" for an option with a value default, X is that value. (An option
    whose default is None is resolved later, and its help describes that in words.)"""
    checked = 0
    for command, action in subcommand_actions():
        if action.default is None or action.default is argparse.SUPPRESS or isinstance(action.default, bool):
            continue
        stated = DEFAULT_IN_HELP.search(action.help).group(1).strip()
        default = action.default
        if isinstance(default, (tuple, list)):
            default = ",".join(map(str, default))
        first = stated.split()[0].rstrip(",;:")
        if isinstance(default, (int, float)):
            same = first == "none" and default == 0 or _number(first) == default  # "(default: none)" for 0
        else:
            same = first == str(default)
        assert same, f"zoo {command} {action.option_strings}: help says {stated!r}, default is {default!r}"
        checked += 1
    assert checked >= 10, f"the scan found only {checked} help texts"


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def test_interpolate_help_states_its_real_default():
    parser = build_parser()
    args = parser.parse_args(["interpolate", "vae.digits-32"])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices["interpolate"]
    n_help = next(a.help for a in sub._actions if "-n" in a.option_strings)
    assert args.n == 4 and "(default 4)" in n_help


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
@pytest.mark.parametrize("argv", [["generate", "dcgan.digits-32", "-n", "1"], ["reconstruct", "vae.digits-32"],
                                  ["eval", "dcgan.digits-32", "-n", "10"]])
def test_device_cuda_without_one_is_one_line_before_any_work(argv, tmp_path, capsys):
    code = main([*argv, "--device", "cuda", "-o", str(tmp_path / "x.png")] if argv[0] != "eval"
                else [*argv, "--device", "cuda"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("zoo: error: --device cuda: no CUDA device is available") and "--device cpu" in err
    assert not (tmp_path / "x.png").exists()
