"""What the converter tests of official checkpoints share (ProGAN, StyleGAN, StyleGAN2): an object that pickles
as a shell command, to show a hostile file runs nothing, and an official registry entry served over a
loopback server, to exercise the path from a registry name to a converted model end to end."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from url_server import FileServer

import zoo
from zoo import registry
from zoo.errors import ChecksumError


def max_abs_diff(ours: torch.Tensor, reference: np.ndarray) -> float:
    """The largest absolute difference between our output and the reference's."""
    return float(np.abs(ours.detach().numpy() - reference).max())


def converted_model(architecture: str, convert, path: Path):
    """zoo.create(architecture) with the states `convert` reads from the checkpoint at `path`, loaded strictly,
    in eval mode."""
    config, states = convert({"checkpoint": path})
    model = zoo.create(architecture, config=config)
    for role, state in states.items():
        model.components[role].load_state_dict(state, strict=True)
    return model.eval()


class RunsCode:
    """Pickles as os.system("touch marker"): unpickling it would create `marker`."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def load_served_official(monkeypatch, tmp_path: Path, architecture: str, converter: str, fixture: Path):
    """The model zoo.load gives for a registry entry written like the official ones (the authors' URL, a
    converter, a sha256) whose file, `fixture`, a loopback server serves; the same entry with a wrong
    sha256 must be refused with a ChecksumError."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    digest = hashlib.sha256(fixture.read_bytes()).hexdigest()
    registry.reset()
    try:
        cat = registry.catalog()
        with FileServer({f"/{architecture}/{fixture.name}": fixture.read_bytes()}) as server:
            for name, sha in ((f"{architecture}.tiny-good", digest), (f"{architecture}.tiny-bad", "0" * 64)):
                entry = {"architecture": architecture, "source": {
                    "url": f"{server.url}/{architecture}/", "converter": converter,
                    "files": {"checkpoint": {"filename": fixture.name, "sha256": sha}}}}
                ws, = registry.parse_registry({name: entry}, origin="test")
                cat.by_kind["weight set"][ws.name] = ws
            model = zoo.load(f"{architecture}.tiny-good")
            with pytest.raises(ChecksumError):
                zoo.load(f"{architecture}.tiny-bad")
    finally:
        registry.reset()
    return model
