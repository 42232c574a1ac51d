"""Official weights: the authors' file(s), downloaded and checked, converted once, cached as genzoo folders.

A weight set whose source names a `converter` is fetched from the Hub (`repo_id`, hf_hub_download) or
from the authors' address (`url` + filename, zoo.hub.urls), checked against its sha256, converted in
memory by the registered Converter (which reads through zoo.readers only), and written in the
save_pretrained layout to

    <HF_HOME>/genzoo/official/converted/<converter>/<sha256 of the source>/   config.json, *.safetensors, README.md
    <HF_HOME>/genzoo/official/files/<hash of the url>/<filename>              downloads from `url` (+ .part)

so that later loads of a pinned source read only that folder: no official file, no pickle, no network.
A file whose publisher states no sha256 (sha256 None) is loaded only with an explicit opt-in
(trust_unpinned=True, GENZOO_TRUST_UNPINNED=1, `zoo --trust-unpinned`), and the sha256 seen is printed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from zoo import records
from zoo.errors import EXIT_BAD_INPUT, ChecksumError, RegistryError
from zoo.hub.checksums import sha256_of, verify
from zoo.hub.layout import CARD_NAME, CONFIG_NAME
from zoo.schema.config_file import config_document
from zoo.hub.urls import download_url

TRUST_ENV = "GENZOO_TRUST_UNPINNED"


class UnpinnedFileError(ChecksumError):
    """An official file with no published sha256 was asked for without the opt-in (the user's call to
    make: a usage error, not a runtime failure)."""

    exit_code = EXIT_BAD_INPUT


def cache_root() -> Path:
    """<HF_HOME>/genzoo/official, HF_HOME defaulting as huggingface_hub defaults it."""
    hf_home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface")
    return Path(hf_home).expanduser() / "genzoo" / "official"


def trusting_unpinned(trust_unpinned: bool = False) -> bool:
    return trust_unpinned or os.environ.get(TRUST_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def source_key(digests: Mapping[str, str]) -> str:
    """The cache key of a source: its file's sha256, or for several files the sha256 of 'key=sha256' lines."""
    if len(digests) == 1:
        return next(iter(digests.values()))
    lines = "".join(f"{key}={digest}\n" for key, digest in sorted(digests.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def converted_folder(converter: str, digests: Mapping[str, str]) -> Path:
    return cache_root() / "converted" / converter / source_key(digests)


def fetch_official(ws: records.WeightSet, catalog, *, trust_unpinned: bool = False) -> Path:
    """The cached genzoo folder of an official weight set, converting the authors' file(s) on first use."""
    src = ws.source
    converter = catalog.get("converter", src.converter)
    pinned = {key: wf.sha256 for key, wf in src.files.items() if wf.sha256 is not None}
    unpinned = [wf.filename for wf in src.files.values() if wf.sha256 is None]
    if unpinned and not trusting_unpinned(trust_unpinned):
        raise UnpinnedFileError(
            f"{ws.name}: no published sha256 for {', '.join(unpinned)} ({src.unpinned or 'no reason given'}); "
            f"to load it anyway pass trust_unpinned=True, set {TRUST_ENV}=1 or run `zoo --trust-unpinned ...`")
    if not unpinned:
        folder = converted_folder(converter.name, pinned)
        if (folder / CONFIG_NAME).is_file():
            return folder  # converted before: no official file, no network
    paths, digests = {}, {}
    for key, wf in src.files.items():
        paths[key], digests[key] = _official_file(ws, wf)
        if wf.sha256 is None:
            print(f"{ws.name}: {wf.filename} is unpinned; its sha256 is {digests[key]} "
                  f"(pin it as source.files.{key}.sha256 in registry.yaml)", file=sys.stderr)
    folder = converted_folder(converter.name, digests)
    if (folder / CONFIG_NAME).is_file():
        return folder
    config, states = convert_files(converter, paths)
    provenance = {"weight set": ws.name, "converter": converter.name,
                  "source": src.url or f"https://huggingface.co/{src.repo_id} (revision {src.revision})",
                  **{f"file {key}": f"{src.files[key].filename} sha256 {digests[key]}" for key in paths}}
    return write_converted(folder, converter, {**config, **dict(ws.config)}, states, provenance)


def _official_file(ws: records.WeightSet, wf: records.WeightFile) -> tuple[Path, str]:
    """One official file, downloaded or found in a cache, with its sha256 (checked when pinned)."""
    what = f"{ws.name} {wf.filename}"
    name = PurePosixPath(wf.filename)
    if name.is_absolute() or ".." in name.parts or not name.parts:
        raise RegistryError(f"{ws.name}: official filename {wf.filename!r} must be a relative path without '..'")
    if ws.source.url is not None:
        url = ws.source.url.rstrip("/") + "/" + "/".join(name.parts)
        where = cache_root() / "files" / hashlib.sha256(ws.source.url.encode()).hexdigest()[:16] / name
        return where, download_url(url, where, wf.sha256, what=what)
    from zoo.hub.fetch import download_hub_file

    # names checked before, the place checked after, every client failure one ZooError (zoo.hub.fetch)
    path = download_hub_file(ws.source.repo_id, wf.filename, ws.source.revision)
    if wf.sha256 is not None:
        return verify(path, wf.sha256, what=what, cached=True), wf.sha256
    return path, sha256_of(path)


def convert_files(converter: records.Converter, paths: Mapping[str, Path]) -> tuple[dict, dict]:
    """Run a registered converter: (config, {role: state_dict})."""
    convert = records.import_object(converter.builder)
    config, states = convert(dict(paths))
    if not isinstance(config, Mapping) or not isinstance(states, Mapping) or not states:
        raise TypeError(f"converter {converter.name!r} must return (config dict, {{role: state_dict}})")
    return dict(config), dict(states)


def write_converted(folder: Path, converter: records.Converter, config: Mapping[str, Any],
                    states: Mapping[str, Mapping[str, Any]], provenance: Mapping[str, str]) -> Path:
    """Write a converted weight set in the save_pretrained layout, all at once: a staging folder renamed
    into place, so a reader never sees half of it."""
    import numpy as np
    import torch
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".genzoo-convert-", dir=folder.parent))
    try:
        components = {}
        for role, state in states.items():
            tensors = {k: (torch.from_numpy(np.array(v)) if isinstance(v, np.ndarray) else v).detach()
                       .contiguous().clone().cpu() for k, v in state.items()}
            components[role] = f"{role}.safetensors"
            save_file(tensors, str(staging / components[role]),
                      metadata={"format": "pt", "genzoo.role": role, "genzoo.converter": converter.name})
        (staging / CARD_NAME).write_text(provenance_card(converter, provenance))
        # a converter returns the architecture's flat (shared) config; per-role sections come from it
        saved = config_document(converter.architecture, dict(config), components, section_roles=())
        (staging / CONFIG_NAME).write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")
        if folder.exists():  # an output folder of `zoo convert`, or a conversion that finished meanwhile
            for name in [*components.values(), CARD_NAME, CONFIG_NAME]:
                os.replace(staging / name, folder / name)
        else:
            os.rename(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def provenance_card(converter: records.Converter, provenance: Mapping[str, str]) -> str:
    lines = ["---", 'library_name: "genzoo"', f'tags: ["genzoo", "{converter.architecture}", "converted"]', "---",
             "", f"# {provenance.get('weight set', converter.architecture)}", "",
             (f"Converted from the authors' official file by genzoo's `{converter.name}` converter "
              f"({converter.description or converter.format}). The weights are the authors'; their license applies."),
             "", "## Provenance", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in provenance.items()]
    return "\n".join(lines) + "\n"
