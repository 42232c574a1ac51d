"""Weights I/O, one job a module: names (hf-hub: references), checksums (sha256), fetch (resolve a
name to a folder of verified files: local-dir → HF cache → shipped copy → Hub), layout (read and
write config.json + safetensors + card) and push (upload).

Loading never executes pickled code: weights are safetensors. `zoo.hub.save_pretrained` and the other
names below are the public API.
"""
from zoo.hub.checksums import sha256_of, verify
from zoo.hub.fetch import fetch_hf_hub, fetch_weight_set, shipped_folder
from zoo.hub.resolve import resolve_folder
from zoo.hub.layout import (CARD_NAME, CONFIG_NAME, FORMAT_VERSION, TRAINING_ARTIFACTS, file_hashes,
                            load_state_dicts, read_config, save_pretrained)
from zoo.hub.names import HubRef, parse_hf_hub
from zoo.hub.push import push_to_hub
from zoo.hub.state_fit import load_into

__all__ = ["CARD_NAME", "CONFIG_NAME", "FORMAT_VERSION", "TRAINING_ARTIFACTS", "HubRef", "fetch_hf_hub",
           "fetch_weight_set", "file_hashes", "load_into", "load_state_dicts", "parse_hf_hub", "push_to_hub", "read_config",
           "resolve_folder", "save_pretrained", "sha256_of", "shipped_folder", "verify"]
