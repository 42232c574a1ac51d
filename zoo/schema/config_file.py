"""The schema of a weight set's config.json, its format versions, and the migration of old ones.

Version 2 (written today) keeps one config section per role plus the objective's:

    {"genzoo_format": 2, "architecture": "dcgan",
     "components": {"generator": "generator.safetensors", ...},
     "config": {"shared": {...}, "generator": {...}, "discriminator": {...}, "objective": {...}}}

A role's section overrides the shared keys for that role only. Version 1 had one flat "config"; it is
read as version 2 with everything shared, in memory: the file is never rewritten (its sha256 is pinned
in registry.yaml). In memory a config is "sectioned": shared keys at the top, each non-empty role
section nested under the role's name (the form zoo.create(config=...) takes).
"""
from __future__ import annotations

import json
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, JsonValue, StrictInt, StrictStr, ValidationError, field_validator

from zoo.errors import RegistryError
from zoo.schema import FORMAT_VERSION
from zoo.schema.registry_entry import check_relative_filename

READABLE_VERSIONS = (1, 2)
SHARED = "shared"
# a config.json is a few hundred bytes; refuse to parse megabytes of JSON
MAX_CONFIG_BYTES = 1024 * 1024


class _ConfigFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    genzoo_format: StrictInt
    architecture: StrictStr
    components: dict[StrictStr, StrictStr]

    @field_validator("components")
    @classmethod
    def _relative_files(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("must name at least one component file")
        for role, filename in value.items():
            if role == SHARED or not role:
                raise ValueError(f"{role!r} is not a role name")
            try:
                check_relative_filename(filename)
            except ValueError as exc:
                raise ValueError(f"role {role!r}: {exc}") from None
        return value


class ConfigFileV1(_ConfigFile):
    config: dict[StrictStr, JsonValue]


class ConfigFileV2(_ConfigFile):
    config: dict[StrictStr, dict[StrictStr, JsonValue]]

    @field_validator("config")
    @classmethod
    def _has_shared(cls, value: dict) -> dict:
        if SHARED not in value:
            raise ValueError(f"needs a {SHARED!r} section")
        return value


def parse_config_text(text: str | bytes, where: str) -> dict[str, Any]:
    """A config.json's text -> the version-2 document with a sectioned "config" (see module doc)."""
    if len(text) > MAX_CONFIG_BYTES:
        raise RegistryError(f"{where}: larger than {MAX_CONFIG_BYTES} bytes; not a genzoo config.json")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise RegistryError(f"{where}: not valid JSON ({str(exc).splitlines()[0][:200]})") from None
    if not isinstance(data, dict):
        raise RegistryError(f"{where}: must be a JSON object with genzoo_format, architecture, config, components")
    version = data.get("genzoo_format", 1)  # files written before the version field existed are version 1
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise RegistryError(f"{where}: genzoo_format {version!r} is not one this genzoo reads "
                            f"({', '.join(map(str, READABLE_VERSIONS))}); a newer genzoo wrote it: upgrade genzoo")
    schema = ConfigFileV1 if version == 1 else ConfigFileV2
    try:
        doc = schema.model_validate({**data, "genzoo_format": version})
    except ValidationError as exc:
        raise RegistryError(f"{where}: {_describe(exc)}") from None
    sections = {SHARED: dict(doc.config)} if version == 1 else {k: dict(v) for k, v in doc.config.items()}
    return {"genzoo_format": FORMAT_VERSION, "architecture": doc.architecture,
            "components": dict(doc.components), "config": sectioned(sections)}


def _describe(exc: ValidationError) -> str:
    clauses = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(p) for p in error["loc"])
        if error["type"] == "extra_forbidden":
            clauses.append(f"unknown field {field!r} (allowed: genzoo_format, architecture, config, components)")
        elif error["type"] == "missing":
            clauses.append(f"missing field {field!r}")
        else:
            clauses.append(f"field {field!r}: {str(error['msg']).removeprefix('Value error, ')}")
    clauses = list(dict.fromkeys(clauses))
    return "; ".join(clauses[:3]) + (f" (and {len(clauses) - 3} more)" if len(clauses) > 3 else "")


def sectioned(sections: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """{"shared": {...}, role: {...}} -> shared keys at the top, non-empty role sections nested."""
    out = dict(sections.get(SHARED, {}))
    out.update({role: dict(keys) for role, keys in sections.items() if role != SHARED and keys})
    return out


def config_document(architecture: str, config: Mapping[str, Any], components: Mapping[str, str],
                    section_roles) -> dict[str, Any]:
    """The version-2 config.json for a model: `config` is sectioned; every role in `section_roles` gets a
    section (empty when it overrides nothing)."""
    roles = set(section_roles)
    shared = {k: v for k, v in config.items() if k not in roles}
    sections = {role: dict(config.get(role) or {}) for role in sorted(roles)}
    return {"genzoo_format": FORMAT_VERSION, "architecture": architecture, "components": dict(components),
            "config": {SHARED: shared, **sections}}
