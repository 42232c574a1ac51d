"""A test plugin: a tiny architecture (StyleGAN2's mapping network at 4 features, its output shown as a
1x2x2 image) and two converters that read it from NVlabs-format fixtures: the PyTorch-era snapshot
pickle (stylegan2-ada-pytorch) and the TensorFlow-era (G, D, Gs) pickle. Registered straight into a
Catalog by `register`."""
from __future__ import annotations

import math

import torch
from torch import nn

from zoo.interfaces import Generator
from zoo.interfaces.specs import ConditionSpec, LatentSpec, OutputSpec
from zoo.readers import module_state_dict, read_nvlabs_pickle, tf_variables
from zoo.records import Architecture, Converter, Paper


class TinyMapping(Generator):
    condition = ConditionSpec()

    def __init__(self, z_dim: int = 4, num_layers: int = 2, lr_multiplier: float = 0.01):
        super().__init__()
        self.latent = LatentSpec((z_dim,))
        self.output = OutputSpec((1, 2, 2), value_range=(-10.0, 10.0))
        self.lr_multiplier = lr_multiplier
        self.layers = nn.ModuleList(nn.Linear(z_dim, z_dim) for _ in range(num_layers))

    def forward(self, z, c=None):
        x = z * (z.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()
        for layer in self.layers:  # equalized learning rate: stored weights are scaled at run time
            gain = self.lr_multiplier / math.sqrt(layer.in_features)
            x = nn.functional.leaky_relu(nn.functional.linear(x, layer.weight * gain, layer.bias * self.lr_multiplier),
                                         0.2) * math.sqrt(2)
        return x.view(-1, 1, 2, 2)


def convert_sg2ada(paths):
    snapshot = read_nvlabs_pickle(paths["checkpoint"])
    mapping = snapshot["G_ema"]
    weights = module_state_dict(mapping)
    kwargs = mapping.state["_modules"]["fc0"].state["_init_kwargs"]
    config = {"z_dim": mapping.state["z_dim"], "num_layers": mapping.state["num_layers"],
              "lr_multiplier": float(kwargs["lr_multiplier"])}
    state = {}
    for idx in range(config["num_layers"]):
        state[f"layers.{idx}.weight"] = weights[f"fc{idx}.weight"]
        state[f"layers.{idx}.bias"] = weights[f"fc{idx}.bias"]
    return config, {"generator": state}


def convert_tf(paths):
    _, _, gs = read_nvlabs_pickle(paths["checkpoint"])
    variables = tf_variables(gs.state["components"]["mapping"])
    n = sum(1 for name in variables if name.endswith("/weight"))
    state = {}
    for idx in range(n):
        state[f"layers.{idx}.weight"] = torch.from_numpy(variables[f"Dense{idx}/weight"].T.copy())  # TF: [in, out]
        state[f"layers.{idx}.bias"] = torch.from_numpy(variables[f"Dense{idx}/bias"])
    return {"z_dim": int(gs.state["static_kwargs"]["latent_size"]), "num_layers": n, "lr_multiplier": 0.01}, \
        {"generator": state}


ARCH = Architecture(name="tinymap", paper=Paper("A test network", "genzoo", 2026),
                    components={"generator": "official_plugin:TinyMapping"}, tasks=("generate",),
                    default_config={"z_dim": 4, "num_layers": 2, "lr_multiplier": 0.01})
CONVERTERS = (
    Converter(name="tinymap-sg2ada", architecture="tinymap", builder="official_plugin:convert_sg2ada",
              format="stylegan2-ada-pytorch-mapping", description="test: stylegan2-ada-pytorch snapshot"),
    Converter(name="tinymap-tf", architecture="tinymap", builder="official_plugin:convert_tf",
              format="stylegan2-tf-mapping", description="test: TensorFlow-era (G, D, Gs) pickle"),
)


def register(catalog) -> None:
    catalog.add_all([ARCH, *CONVERTERS], plugin="official-test")
