"""Every registered architecture is built from its test_config and run forward on a tiny input (timm's
test_models style), a wrong input shape says which shape was expected, and an unknown name suggests
close names.
"""
from __future__ import annotations

import re

import pytest
import torch

import zoo
from zoo import records, registry
from zoo.errors import ShapeError, UnknownNameError
from zoo.interfaces import (ConditionSpec, Discriminator, Encoder, Generator, LatentSpec, OutputSpec,
                            Posterior)

N = 2
FREE_SIZE = 8  # the size given for a spec's free dimensions
ARCHITECTURES = zoo.list_models()


def make_condition(spec: ConditionSpec, n: int = N) -> torch.Tensor | None:
    """A valid condition of `spec`: labels, a one-hot segmentation map, or a float tensor of its shape."""
    if spec.kind == "none":
        return None
    if spec.kind == "class":
        return torch.arange(n) % spec.num_classes
    assert spec.shape is not None, f"a {spec.kind!r} condition must declare its shape"
    if spec.kind == "segmentation":
        classes, *size = spec.shape
        labels = torch.randint(classes, (n, *size))
        return torch.nn.functional.one_hot(labels, classes).movedim(-1, 1).float()
    return torch.rand(n, *concrete(spec.shape)) * 2 - 1


def concrete(shape, size: int = FREE_SIZE) -> tuple[int, ...]:
    """A spec shape with its free sizes ("H", "W": an upscaler takes any image size) set to `size`."""
    return tuple(d if isinstance(d, int) else size for d in shape)


def build(name: str):
    torch.manual_seed(0)
    arch = registry.catalog().architecture(name)
    return zoo.create(name, config=arch.test_config).eval()


def components_of(model, kind: type) -> dict:
    return {role: m for role, m in model.components.items() if isinstance(m, kind)}


def assert_declares_input(name: str, role: str, module) -> None:
    assert isinstance(module.input, (OutputSpec, LatentSpec)), \
        f"{name}: {role}.input must declare what it takes (an OutputSpec, or a LatentSpec for latent codes)"


def test_there_are_architectures_to_test():
    assert {"gan", "dcgan"} <= set(ARCHITECTURES)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_architecture_builds_and_runs_forward(name):
    model = build(name)
    for role, module in model.components.items():
        assert isinstance(module, (Generator, Encoder, Discriminator)), \
            f"{name}: component {role!r} is a {type(module).__name__}, not a zoo.interfaces component"
        assert sum(p.numel() for p in module.parameters()) > 0, f"{name}: {role} has no parameters"
        if isinstance(module, (Encoder, Discriminator)):
            assert_declares_input(name, role, module)

    samples = {}
    with torch.no_grad():
        for role, G in components_of(model, Generator).items():
            z, c = G.sample_latent(N), make_condition(G.condition)
            x = G(z, c)
            # free output sizes are the free input sizes times the generator's factor (upscalers)
            want = concrete(G.output.shape, FREE_SIZE * int(getattr(G, "scale", 1)))
            assert tuple(x.shape) == (N, *want), f"{name}: {role} output"
            assert torch.isfinite(x).all()
            samples[tuple(G.output.shape)] = x
        for role, D in components_of(model, Discriminator).items():
            x = samples.get(tuple(D.input.shape))
            if x is None:  # e.g. AAE's discriminator judges latent codes (a LatentSpec), not images
                x = torch.randn(N, *D.input.shape)
            logits = D(x, make_condition(D.condition))
            assert logits.shape[0] == N and logits.dim() in (1, 4), f"{name}: {role} logits {tuple(logits.shape)}"
            assert torch.isfinite(logits).all()
        for role, E in components_of(model, Encoder).items():
            x = samples.get(tuple(E.input.shape), torch.rand(N, *E.input.shape) * 2 - 1)
            code = E(x, make_condition(E.condition))
            mean = code.mean if isinstance(code, Posterior) else code
            assert tuple(mean.shape) == (N, *E.latent.shape), f"{name}: {role} latent"
            assert torch.isfinite(mean).all()


def shape_text(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_a_wrong_input_shape_says_which_shape_was_expected(name):
    model = build(name)
    checked = 0
    for role, module in model.components.items():
        if isinstance(module, Generator) and module.latent is not None:
            wrong = torch.zeros(N, *module.latent.shape[:-1], module.latent.shape[-1] + 1)
            expected = shape_text(("N", *module.latent.shape))
            with pytest.raises(ShapeError, match=re.escape(f"z must have shape {expected}")):
                module(wrong, make_condition(module.condition))
            checked += 1
        if isinstance(module, Generator) and module.condition.kind != "none":
            with pytest.raises(ShapeError, match=f"needs a {module.condition.kind!r} condition"):
                module(module.sample_latent(N), None)
        if isinstance(module, Generator) and module.latent is None and module.condition.kind not in ("none", "class"):
            shape = tuple(module.condition.shape)  # an image-to-image generator: one channel too many
            wrong = torch.zeros(N, shape[0] + 1, *concrete(shape[1:]))
            expected = shape_text((N, *shape))
            with pytest.raises(ShapeError, match=re.escape(f"must have shape {expected}")):
                module(None, wrong)
            checked += 1
        if isinstance(module, (Discriminator, Encoder)):
            assert_declares_input(name, role, module)
            shape = tuple(module.input.shape)
            wrong = torch.zeros(N, *shape[:-1], shape[-1] + 1)
            with pytest.raises(ShapeError, match=re.escape(f"must have shape {shape_text(('N', *shape))}")):
                module(wrong, make_condition(module.condition))
            checked += 1
    assert checked, f"{name}: no component's input could be checked"


# -- unknown names ---------------------------------------------------------------------------------
def test_an_unknown_architecture_suggests_close_names():
    with pytest.raises(UnknownNameError, match=r"unknown architecture 'dcgna'\. Did you mean: .*dcgan"):
        zoo.create("dcgna")


def test_an_unknown_model_name_suggests_close_names():
    with pytest.raises(UnknownNameError, match=r"unknown model 'dcgn'\. Did you mean: .*dcgan"):
        zoo.load("dcgn")


def test_an_unknown_tag_suggests_the_architecture_s_weight_sets():
    catalog = registry.Catalog()
    source = records.WeightSource(repo_id="org/repo", files={})
    catalog.add_all([records.WeightSet(name=n, architecture="dcgan", source=source)
                     for n in ("dcgan.digits-32", "dcgan.faces-64")], plugin="test")
    with pytest.raises(UnknownNameError) as error:
        catalog.weight_set("dcgan.digts-32")
    message = str(error.value)
    assert message.startswith("unknown model 'dcgan.digts-32'. Did you mean: dcgan.digits-32")
    assert "dcgan.faces-64" in message  # same architecture, another tag
