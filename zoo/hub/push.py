"""Uploading a saved folder to the Hugging Face Hub."""
from __future__ import annotations

import os
from pathlib import Path

from zoo.hub.layout import TRAINING_ARTIFACTS, read_config


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


