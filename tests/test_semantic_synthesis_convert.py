"""Converters of the authors' generator checkpoints: NVlabs/SPADE (ADE20K 151, COCO-Stuff 184 and
Cityscapes 36 label channels, spectral norm's u and v, synchronized batch norms' statistics) and
NVIDIA/pix2pixHD's label2city LocalEnhancer. The fixtures are the reference code's own networks, tiny with
random weights, saved in the authors' layout with their outputs (tests/fixtures/semantic_synthesis/
make_fixtures.py regenerates them); converted outputs must match to 1e-4."""
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import zoo
from zoo.tasks.synthesize import instance_edges
from zoo_plugins.pix2pixhd.converters import convert as convert_pix2pixhd
from zoo_plugins.spade.converters import convert as convert_spade

FIXTURES = Path(__file__).parent / "fixtures" / "semantic_synthesis"
CASES = {"spade_ade20k": ("spade", convert_spade, 151), "spade_coco": ("spade", convert_spade, 184),
         "spade_cityscapes": ("spade", convert_spade, 36),
         "pix2pixhd_label2city": ("pix2pixhd", convert_pix2pixhd, 36)}


def converted_model(name):
    arch, convert, _ = CASES[name]
    config, states = convert({"checkpoint": FIXTURES / f"{name}_net_G.pth"})
    config = {**config, **json.loads((FIXTURES / f"{name}.json").read_text()), "vgg": "none"}
    model = zoo.create(arch, config=config)
    model["generator"].load_state_dict(states["generator"], strict=True)
    model["generator"].eval()
    return model, config


@pytest.mark.parametrize("name", list(CASES))
def test_converted_generator_matches_the_reference_output(name):
    model, config = converted_model(name)
    ref = load_file(str(FIXTURES / f"{name}.safetensors"))
    instances = ref["instance"] if config["instance_edges"] else None
    out = model.synthesize(ref["label"], instances=instances)
    assert out.shape == ref["output"].shape
    torch.testing.assert_close(out, ref["output"], atol=1e-4, rtol=0)
    # the reference output is no constant a broken network could also give
    assert ref["output"].std() > 0.1


@pytest.mark.parametrize("name", list(CASES))
def test_channel_counts_read_from_the_weights(name):
    arch, convert, channels = CASES[name]
    config, states = convert({"checkpoint": FIXTURES / f"{name}_net_G.pth"})
    # the weights give all input channels; the registry entry says whether the last is instance edges
    assert config["num_classes"] == channels and config["instance_edges"] is False
    if arch == "spade":
        assert config["spade_hidden"] == 4 and config["width"] == 2 and config["use_vae"] is False
        sn_keys = [k for k in states["generator"] if k.endswith("weight_u")]
        assert "head_0.conv_0.weight_u" in sn_keys and "head_0.norm_0.param_free_norm.running_var" in states["generator"]
    else:
        assert config == {"num_classes": 36, "instance_edges": False, "ngf": 2, "n_downsampling": 2, "n_blocks": 2,
                          "local_enhancers": 1, "local_blocks": 1}


def test_spade_uses_the_stored_u_v_and_running_statistics():
    """Perturbing the stored u (or the BN statistics) changes the output: the converter carries them over
    and the converted network uses them, rather than recomputing them."""
    name = "spade_coco"
    model, config = converted_model(name)
    ref = load_file(str(FIXTURES / f"{name}.safetensors"))
    G = model["generator"]
    for key in ("head_0.conv_0.weight_u", "head_0.norm_0.param_free_norm.running_var"):
        state = {k: v.clone() for k, v in G.state_dict().items()}
        state[key] = state[key] * 1.5 if "running" in key else state[key].roll(1)
        G.load_state_dict(state)
        assert (model.synthesize(ref["label"], instances=ref["instance"]) - ref["output"]).abs().max() > 1e-3
        model2, _ = converted_model(name)
        G.load_state_dict(model2["generator"].state_dict())


@pytest.mark.parametrize("name", ["spade_coco", "pix2pixhd_label2city"])
def test_instance_edges_equal_the_reference_get_edges(name):
    ref = load_file(str(FIXTURES / f"{name}.safetensors"))
    edges = instance_edges(ref["instance"])
    assert ref["edges"].sum() > 0
    torch.testing.assert_close(edges, ref["edges"])


def test_converters_refuse_other_files(tmp_path):
    bad = tmp_path / "bad.pth"
    torch.save({"conv.weight": torch.zeros(1)}, bad)
    with pytest.raises(ValueError, match="not a NVlabs/SPADE generator"):
        convert_spade({"checkpoint": bad})
    with pytest.raises(ValueError, match="not a NVIDIA/pix2pixHD generator"):
        convert_pix2pixhd({"checkpoint": bad})
    # a SPADE state dict missing a block is named as such
    state = torch.load(FIXTURES / "spade_ade20k_net_G.pth", weights_only=True)
    torch.save({k: v for k, v in state.items() if not k.startswith("up_3.")}, bad)
    with pytest.raises(ValueError, match="missing"):
        convert_spade({"checkpoint": bad})


@pytest.mark.parametrize("name,channels,shape", [
    ("spade.ade20k-256", 151, (3, 256, 256)), ("spade.coco-stuff-256", 184, (3, 256, 256)),
    ("spade.cityscapes-256x512", 36, (3, 256, 512)), ("pix2pixhd.label2city-1024x2048", 36, (3, 1024, 2048))])
def test_official_entries_describe_the_authors_networks(name, channels, shape):
    """Each official entry's config builds (on the meta device: no memory) the authors' full-size generator:
    its input channels, output size and the widths the released files hold (SPADE ngf 64 with SPADE hidden
    layers of 128; pix2pixHD's LocalEnhancer with ngf 32, G1 at 64 with four downsamplings and nine blocks)."""
    import inspect

    from zoo import registry
    from zoo_plugins.pix2pixhd.networks import Pix2PixHDGenerator
    from zoo_plugins.spade.networks import SPADEGenerator

    ws = registry.catalog().weight_set(name)
    cls = SPADEGenerator if ws.architecture == "spade" else Pix2PixHDGenerator
    config = {**registry.catalog().architecture(ws.architecture).default_config, **ws.config}
    kwargs = {k: v for k, v in config.items() if k in inspect.signature(cls).parameters}
    with torch.device("meta"):
        G = cls(**kwargs)
    assert G.condition.shape[0] == channels and G.output.shape == shape
    if cls is SPADEGenerator:
        assert G.fc.in_channels == channels and G.fc.out_channels == 16 * 64 and G.latent is None
        assert G.head_0.norm_0.mlp_shared[0].out_channels == 128
    else:
        assert G.model1_1[1].in_channels == channels and G.model1_1[1].out_channels == 32
        assert G.model[1].out_channels == 64 and sum(1 for m in G.model if type(m).__name__ == "ResnetBlock") == 9
