"""Weights I/O: resolve a name, download with huggingface_hub, verify sha256, load safetensors; save and push.

Resolution order: `local-dir:PATH` → the Hugging Face cache / Hub (`hf_hub_download`, which honours
HF_HOME, HF_ENDPOINT and HF_HUB_OFFLINE) → a copy shipped inside a Python package, for the small weight
sets this project trains itself. Every file is checked against its sha256 before it is read; a file
that fails is removed from the cache so that the next run downloads it again.
Loading never executes pickled code: weights are safetensors.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from zoo import records
from zoo.errors import ChecksumError, RegistryError, WeightsNotFoundError

log = logging.getLogger(__name__)

CONFIG_NAME = "config.json"
# what `zoo train` leaves beside the weights and `push_to_hub` does not upload
TRAINING_ARTIFACTS = ("checkpoints/*", "samples/*", "tensorboard/*", "log.jsonl", ".genzoo-save-*")
CARD_NAME = "README.md"
FORMAT_VERSION = 1


# -- names -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HubRef:
    repo_id: str
    revision: str | None = None


def parse_hf_hub(name: str) -> HubRef:
    """`hf-hub:org/repo[@revision]`."""
    ref = name[len("hf-hub:"):]
    repo_id, _, revision = ref.partition("@")
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise RegistryError(f"{name!r}: expected 'hf-hub:org/repo' or 'hf-hub:org/repo@revision'")
    return HubRef(repo_id, revision or None)


# -- checksums ---------------------------------------------------------------------------------
def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _discard_from_cache(path: Path) -> None:
    """Remove a cached file: the snapshot link and the blob it points to."""
    blob = Path(os.path.realpath(path))
    for p in (path, blob):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def verify(path: Path, expected: str, *, what: str, cached: bool) -> Path:
    actual = sha256_of(path)
    if actual != expected:
        if cached:
            _discard_from_cache(path)
        raise ChecksumError(f"{what}: sha256 mismatch (expected {expected}, got {actual}); the file is "
                            f"corrupted or has been tampered with and was {'removed' if cached else 'not loaded'}")
    return path


# -- fetching ----------------------------------------------------------------------------------
def _hub_errors() -> tuple[type[BaseException], ...]:
    from huggingface_hub import errors

    return (errors.LocalEntryNotFoundError, errors.OfflineModeIsEnabled, errors.RepositoryNotFoundError,
            errors.RevisionNotFoundError, errors.EntryNotFoundError, errors.HfHubHTTPError, OSError)


def _download(repo_id: str, filename: str, revision: str | None, force: bool = False,
              local_only: bool = False) -> Path:
    from huggingface_hub import hf_hub_download

    # HF_ENDPOINT is read per call (huggingface_hub reads it once, at import)
    return Path(hf_hub_download(repo_id=repo_id, filename=filename, revision=revision,
                                endpoint=os.environ.get("HF_ENDPOINT") or None, force_download=force,
                                local_files_only=local_only))


def _cached_snapshot(ws: records.WeightSet) -> Path | None:
    """The weight set's folder in the Hugging Face cache if every file is there and verifies."""
    try:
        paths = {role: _download(ws.source.repo_id, wf.filename, ws.source.revision, local_only=True)
                 for role, wf in ws.source.files.items()}
        for role, wf in ws.source.files.items():
            verify(paths[role], wf.sha256, what=f"{ws.name} {wf.filename}", cached=True)
    except (ChecksumError, *_hub_errors()):
        return None
    return paths["config"].parent


def _download_verified(ws: records.WeightSet, wf: records.WeightFile) -> Path:
    """Download (or find in the cache) one file and check it; a bad cached copy is fetched once more."""
    what = f"{ws.name} {wf.filename}"
    path = _download(ws.source.repo_id, wf.filename, ws.source.revision)
    try:
        return verify(path, wf.sha256, what=what, cached=True)
    except ChecksumError:
        log.warning("%s: checksum mismatch in the cache; downloading it again", what)
    path = _download(ws.source.repo_id, wf.filename, ws.source.revision, force=True)
    return verify(path, wf.sha256, what=what, cached=True)


def fetch_weight_set(ws: records.WeightSet) -> Path:
    """A folder holding the weight set's verified files: the Hub cache, the shipped copy, or the Hub.

    A shipped copy holds the very bytes of the Hub repo (both are pinned by the same sha256s), so when
    the cache lacks the files it is used without going to the network at all.
    """
    files = ws.source.files
    if ws.shipped is not None:
        cached = _cached_snapshot(ws)
        if cached is not None:
            return cached
        try:
            return shipped_folder(ws)
        except WeightsNotFoundError as exc:  # an install without the shipped files: try the Hub
            log.info("%s", exc)
    try:
        paths = {role: _download_verified(ws, wf) for role, wf in files.items()}
    except _hub_errors() as exc:
        raise WeightsNotFoundError(
            f"{ws.name}: could not get {ws.source.repo_id} from the Hub or the local cache ({exc}); "
            f"check the network or HF_ENDPOINT, or download it once with HF_HUB_OFFLINE unset") from exc
    return paths["config"].parent  # the snapshot folder; components may sit in its subfolders


def shipped_folder(ws: records.WeightSet) -> Path:
    package, _, rel = ws.shipped.partition(":")
    folder = Path(str(resources.files(package) / rel))
    for role, wf in ws.source.files.items():
        path = folder / wf.filename
        if not path.is_file():
            raise WeightsNotFoundError(f"{ws.name}: the shipped copy in {package} lacks {wf.filename}")
        verify(path, wf.sha256, what=f"{ws.name} shipped {wf.filename}", cached=False)
    return folder


def fetch_hf_hub(ref: HubRef) -> Path:
    """Download a repo that no registry lists: config.json first, then the files it names.

    There is no registry checksum; content-addressed LFS blobs are checked against their own name.
    """
    config_path = _download(ref.repo_id, CONFIG_NAME, ref.revision)
    config = read_config(config_path.parent)
    for filename in config["components"].values():
        path = _download(ref.repo_id, filename, ref.revision)
        blob = Path(os.path.realpath(path)).name
        if len(blob) == 64 and all(ch in "0123456789abcdef" for ch in blob):  # LFS: named by sha256
            verify(path, blob, what=f"{ref.repo_id} {filename}", cached=True)
    return config_path.parent


def resolve_folder(name: str, catalog) -> tuple[Path, records.WeightSet | None]:
    """Where the files of `name` are: `local-dir:`, `hf-hub:`, or a registered weight set."""
    if name.startswith("local-dir:"):
        folder = Path(name[len("local-dir:"):]).expanduser()
        if not (folder / CONFIG_NAME).is_file():
            raise WeightsNotFoundError(f"{name!r}: no {CONFIG_NAME} in {folder}")
        return folder, None
    if name.startswith("hf-hub:"):
        return fetch_hf_hub(parse_hf_hub(name)), None
    ws = catalog.weight_set(name)
    return fetch_weight_set(ws), ws


# -- reading and writing the layout --------------------------------------------------------------
def read_config(folder: Path) -> dict[str, Any]:
    path = folder / CONFIG_NAME
    try:
        config = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise WeightsNotFoundError(f"{path}: unreadable config ({exc})") from exc
    for key in ("architecture", "config", "components"):
        if key not in config:
            raise RegistryError(f"{path}: missing field {key!r}")
    return config


def load_state_dicts(folder: Path, components: Mapping[str, str], roles=None) -> dict[str, dict]:
    from safetensors.torch import load_file

    return {role: load_file(str(folder / filename)) for role, filename in components.items()
            if roles is None or role in roles}


def save_pretrained(model, folder: str | os.PathLike, *, card: Mapping[str, Any] | None = None) -> Path:
    """Write one safetensors file per component, a model card, and config.json last.

    Files are written to a staging folder and moved in one by one (each move is atomic), config.json
    last, so a reader never finds a config naming a half-written file. Other files in `folder`
    (a training log, say) are left alone.
    """
    from safetensors.torch import save_file

    from zoo.card import model_card

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".genzoo-save-", dir=folder))
    try:
        components = {}
        for role, module in model.components.items():
            filename = f"{role}.safetensors"
            state = {k: v.detach().contiguous().cpu() for k, v in module.state_dict().items()}
            save_file(state, str(staging / filename), metadata={"format": "pt", "genzoo.role": role})
            components[role] = filename
        config = {"genzoo_format": FORMAT_VERSION, "architecture": model.architecture.name,
                  "config": model.config, "components": components}
        (staging / CARD_NAME).write_text(model_card(model, dict(card or {})))
        (staging / CONFIG_NAME).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        for name in [*components.values(), CARD_NAME, CONFIG_NAME]:
            os.replace(staging / name, folder / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def push_to_hub(folder: str | os.PathLike, repo_id: str, *, revision: str | None = None,
                private: bool = False, token: str | None = None, api=None,
                commit_message: str = "Upload genzoo weights") -> str:
    """Upload a saved folder as a Hub model repo; returns the commit URL."""
    from huggingface_hub import HfApi

    folder = Path(folder)
    read_config(folder)  # refuse to upload something that is not a genzoo folder
    api = api or HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
    info = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="model",
                             revision=revision, commit_message=commit_message,
                             ignore_patterns=list(TRAINING_ARTIFACTS))
    return str(getattr(info, "commit_url", info))


def file_hashes(folder: Path) -> dict[str, dict[str, str]]:
    """The `source.files` block of a registry entry for a saved folder."""
    config = read_config(folder)
    files = {"config": CONFIG_NAME, **config["components"]}
    return {role: {"filename": name, "sha256": sha256_of(folder / name)} for role, name in files.items()}
