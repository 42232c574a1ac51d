"""Every weight set shipped today loads bit-identically (the tensors in its safetensors files, in the
modules zoo.load builds) and reproduces the sample-quality numbers its registry.yaml entry states."""
from __future__ import annotations

import math

import pytest
import torch
from safetensors.torch import load_file

import zoo
from zoo import hub, registry

SHIPPED = sorted(n for n in registry.catalog().names("weight set")
                 if registry.catalog().weight_set(n).shipped is not None)


def rounded_like(value: float, stated: float) -> bool:
    """`value` rounds to `stated` at the precision `stated` is written with (e.g. 40.73 to 2 decimals)."""
    text = repr(float(stated))
    decimals = len(text.split(".")[1]) if "." in text else 0
    return math.isclose(round(value, decimals), stated, abs_tol=1.01 * 10 ** -decimals)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_weights_load_bit_identically(name):
    ws = registry.catalog().weight_set(name)
    folder = hub.shipped_folder(ws)
    model = zoo.load(name)
    for role, wf in ws.source.files.items():
        if role == "config":
            continue
        saved = load_file(str(folder / wf.filename))
        loaded = model.components[role].state_dict()
        assert set(saved) == set(loaded), role
        for key, tensor in saved.items():
            assert torch.equal(loaded[key], tensor), f"{name} {role}.{key} differs from its file"


@pytest.mark.parametrize("name", [n for n in SHIPPED if "judge_frechet_val" in registry.catalog().weight_set(n).metrics])
def test_shipped_weights_reproduce_their_judge_scores(name):
    from zoo.metrics.digits_scores import judge_model

    stated = registry.catalog().weight_set(name).metrics
    scores = judge_model(zoo.load(name), n=int(stated["judge_samples"]), seed=0, against="val")
    checks = {"judge_frechet_val": "frechet", "judge_is": "is", "judge_conditional_accuracy": "conditional_accuracy"}
    compared = 0
    for key, field in checks.items():
        if key in stated:
            got = scores[field]
            assert rounded_like(float(got), float(stated[key])), f"{name}: {key} is {got}, registry says {stated[key]}"
            compared += 1
    assert compared >= 2


@pytest.mark.parametrize("name, stated_keys", [
    ("vae.digits-32", ("elbo_nats_val", "iw_log_px_nats_k100_val")),
    ("cvae.digits-32", ("elbo_nats_val_given_label", "iw_log_px_given_label_nats_k100_val")),
])
def test_vae_family_reproduces_its_held_out_likelihoods(name, stated_keys):
    from zoo.data.digits import Digits
    from zoo.elbo import likelihood_report

    val = Digits(resolution=32, split="val")
    model = zoo.load(name)
    labels = val.labels if model.components["encoder"].condition.kind == "class" else None
    report = likelihood_report(model, val.images, labels, k=100, seed=0)
    stated = registry.catalog().weight_set(name).metrics
    for key, got in zip(stated_keys, (report["elbo_nats"], report["iw_log_px_nats_k100"])):
        assert rounded_like(got, float(stated[key])), f"{name}: {key} is {got}, registry says {stated[key]}"


@pytest.mark.slow
def test_dcgan_reproduces_its_registry_fid_and_is():
    """`zoo eval dcgan.digits-32 --metric fid,is --against digits --split train -n 10000` (the protocol the
    registry entry states: digits judge, train split, seed 0)."""
    from zoo.metrics.eval import evaluate

    stated = registry.catalog().weight_set("dcgan.digits-32").metrics
    result = evaluate("dcgan.digits-32", ["fid", "is"], against="digits", split="train",
                      n=int(stated["fid"]["n"]), seed=int(stated["fid"]["seed"]))
    assert result["protocol"]["against"] == stated["fid"]["against"]
    assert result["metrics"]["fid"]["fid"] == pytest.approx(stated["fid"]["fid"], abs=1e-4)
    assert result["metrics"]["is"]["is"] == pytest.approx(stated["is"]["is"], abs=1e-4)


@pytest.mark.parametrize("name", [n for n in SHIPPED if "text_heldout_class_accuracy" in registry.catalog().weight_set(n).metrics])
def test_text_to_image_weights_reproduce_their_text_scores(name):
    """ganintcls/stackgan: the judge's scores on held-out and seen captions (zoo.metrics.text_scores)."""
    from zoo.metrics.text_scores import judge_text_model

    stated = registry.catalog().weight_set(name).metrics
    model = zoo.load(name)
    for captions, n in (("heldout", 200), ("seen", 6)):
        scores = judge_text_model(model, n=n, seed=0, captions=captions.replace("heldout", "held-out"))
        for field, key in (("class_accuracy", "class_accuracy"), ("attribute_agreement", "attribute_agreement"),
                           ("frechet", "frechet"), ("is_style", "is")):
            got, want = scores[field], stated[f"text_{captions}_{key}"]
            assert rounded_like(float(got), float(want)), f"{name}: text_{captions}_{key} is {got}, registry says {want}"


@pytest.mark.parametrize("name", [n for n in SHIPPED if "psnr_y" in registry.catalog().weight_set(n).metrics])
def test_super_resolution_weights_reproduce_their_held_out_scores(name):
    """The registry's PSNR / SSIM (Y, border 4) and sharpness ratios on the three held-out photographs, as
    `python -m zoo_plugins.srgan.evaluate NAME` measures them, bicubic's beside."""
    from zoo_plugins.srgan.evaluate import evaluate

    stated = registry.catalog().weight_set(name).metrics
    results, _ = evaluate([name], scale=4)
    checks = {"psnr_y": (name, "psnr"), "ssim_y": (name, "ssim"), "sharpness_gradient_ratio": (name, "gradient"),
              "sharpness_high_frequency_ratio": (name, "high_frequency"), "bicubic_psnr_y": ("bicubic", "psnr"),
              "bicubic_ssim_y": ("bicubic", "ssim")}
    for key, (method, field) in checks.items():
        got = results[method][field]
        assert rounded_like(got, float(stated[key])), f"{name}: {key} is {got}, registry says {stated[key]}"
