"""Uploading a saved folder to the Hugging Face Hub."""
from __future__ import annotations

import os
from pathlib import Path

from zoo.errors import HubUnavailableError
from zoo.hub.layout import TRAINING_ARTIFACTS, read_config
from zoo.hub.names import check_repo_id, check_revision


def push_to_hub(folder: str | os.PathLike, repo_id: str, *, revision: str | None = None,
                private: bool = False, token: str | None = None, api=None,
                commit_message: str = "Upload genzoo weights") -> str:
    """Upload a saved folder as a Hub model repo; returns the commit URL."""
    from huggingface_hub import HfApi, constants

    from zoo.hub import hub_errors

    folder = Path(folder)
    check_repo_id(repo_id)
    if revision is not None:
        check_revision(revision)
    read_config(folder)  # refuse to upload something that is not a genzoo folder
    what = f"push of {folder} to {repo_id}"
    if api is None and constants.HF_HUB_OFFLINE:
        raise HubUnavailableError(f"{what}: HF_HUB_OFFLINE=1 forbids uploading; unset it and run again")
    hub_errors.use_short_timeouts()
    api = api or HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        info = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="model",
                                 revision=revision, commit_message=commit_message,
                                 ignore_patterns=list(TRAINING_ARTIFACTS))
    except Exception as exc:
        raise hub_errors.as_zoo_error(exc, what) from None
    return str(getattr(info, "commit_url", info))
