"""Model names that point outside the registry: `hf-hub:org/repo[@revision]`."""
from __future__ import annotations

from dataclasses import dataclass

from zoo.errors import RegistryError


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


