"""The schema of one registry.yaml entry (pydantic v2), and its translation to a WeightSet record.

Types are checked strictly: `default: 'false'` is not a boolean, `revision: null` is not a revision,
`resolution: '32'` is not an integer. Errors are one line naming the entry and the field.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Mapping, Optional

from pydantic import (BaseModel, ConfigDict, Field, JsonValue, StrictBool, StrictInt, StrictStr,
                      ValidationError, ValidationInfo, field_validator, model_validator)

from zoo import records
from zoo.errors import RegistryError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SHIPPED = re.compile(r"^[A-Za-z_][\w.]*:[^:]+$")
_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


def check_relative_filename(name: str) -> str:
    """A file inside a weight set's folder: relative, forward slashes, never climbing out with '..'."""
    if not name or name.startswith("/") or "\\" in name or ".." in name.split("/") or ":" in name:
        raise ValueError(f"{name!r} must be a relative path inside the weight set's folder "
                         "(no leading '/', no '..', no backslashes, no drive letter)")
    return name


RelativeFilename = Annotated[StrictStr, Field(min_length=1)]


class FileSpec(BaseModel):
    model_config = _STRICT
    filename: RelativeFilename
    sha256: Optional[StrictStr]

    @field_validator("filename")
    @classmethod
    def _relative(cls, value: str) -> str:
        return check_relative_filename(value)

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, value: str | None) -> str | None:
        if value is not None and not _SHA256.match(value.lower()):
            raise ValueError("is not a sha256 hex digest (an official file without a published checksum "
                             "has sha256: null and says why in 'source.unpinned')")
        return value.lower() if value is not None else None


class SourceSpec(BaseModel):
    """Where the files are: a Hub repo (`repo_id`), or the authors' `url` read by a `converter`."""

    model_config = _STRICT
    repo_id: Optional[StrictStr] = None
    revision: StrictStr = "main"
    files: dict[StrictStr, FileSpec] = Field(min_length=1)
    url: Optional[StrictStr] = None
    converter: Optional[StrictStr] = None
    unpinned: Optional[StrictStr] = None

    @field_validator("repo_id")
    @classmethod
    def _org_name(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[\w.-]+/[\w.-]+$", value):
            raise ValueError(f"{value!r} must look like 'org/name'")
        return value

    @field_validator("revision")
    @classmethod
    def _nonempty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must be a branch, tag or commit (not empty)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "SourceSpec":
        if self.url is not None and not self.converter:
            raise ValueError("field 'source.url' is for official files and needs 'source.converter'")
        if self.url is None and self.repo_id is None:
            raise ValueError("field 'source.repo_id' must look like 'org/name' (or give 'url' and 'converter')")
        if "config" not in self.files and not self.converter:
            raise ValueError("field 'source.files' must include 'config' (config.json)")
        for role, spec in self.files.items():
            if spec.sha256 is None and not (self.converter and self.unpinned):
                raise ValueError(f"field 'source.files.{role}.sha256' is null; only an official file "
                                 "(with 'converter') whose publisher states no checksum may be unpinned, "
                                 "and 'source.unpinned' must say why")
        return self


class EntrySpec(BaseModel):
    """One weight set. The entry's name (`arch.tag`) is passed in the validation context."""

    model_config = _STRICT
    architecture: StrictStr
    source: SourceSpec
    config: dict[StrictStr, JsonValue] = Field(default_factory=dict)
    default: StrictBool = False
    shipped: Optional[StrictStr] = None
    origin: StrictStr = ""
    dataset: StrictStr = ""
    resolution: Optional[Annotated[StrictInt, Field(gt=0)]] = None
    license: StrictStr = ""
    paper: StrictStr = ""
    metrics: dict[StrictStr, JsonValue] = Field(default_factory=dict)

    @field_validator("architecture")
    @classmethod
    def _matches_name(cls, value: str, info: ValidationInfo) -> str:
        arch = (info.context or {}).get("arch")
        if arch is not None and value != arch:
            raise ValueError(f"is {value!r} but the name says {arch!r}")
        return value

    @field_validator("shipped")
    @classmethod
    def _package_dir(cls, value: str | None) -> str | None:
        if value is not None:
            if not _SHIPPED.match(value):
                raise ValueError("must look like 'package:relative/dir'")
            check_relative_filename(value.partition(":")[2])
        return value


def _field_name(loc: tuple) -> str:
    return ".".join(str(part) for part in loc)


def _describe(error: Mapping[str, Any]) -> str:
    """One clause for one pydantic error: 'unknown field ...', 'field ... is required', 'field ...: why'."""
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        model = EntrySpec if len(loc) == 1 else SourceSpec if len(loc) == 2 else FileSpec
        return f"unknown field(s) [{_field_name(loc)!r}]; allowed: {sorted(model.model_fields)}"
    if kind == "missing":
        return f"field {_field_name(loc)!r} is required"
    message = str(error["msg"]).removeprefix("Value error, ")
    if not loc:  # a model-level rule words its own field
        return message
    if message.startswith("field "):
        return message
    if kind in ("model_type", "dict_type"):
        message = "must be a mapping"
    return f"field {_field_name(loc)!r} {message}" if message.startswith("is ") else \
        f"field {_field_name(loc)!r}: {message}"


def parse_entry(name: Any, entry: Any, origin: str) -> records.WeightSet:
    """Validate one registry entry and return its WeightSet record (or raise one RegistryError line)."""
    where = f"{origin}: entry {name!r}"
    if not isinstance(name, str):
        raise RegistryError(f"{where}: the name must be a string like 'architecture.tag'")
    arch, dot, tag = name.partition(".")
    if not (arch and dot and tag):
        raise RegistryError(f"{where}: the name must look like 'architecture.tag'")
    if not isinstance(entry, Mapping):
        raise RegistryError(f"{where}: must be a mapping of fields")
    try:
        spec = EntrySpec.model_validate(dict(entry), context={"arch": arch})
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        clauses = list(dict.fromkeys(_describe(e) for e in errors))
        more = f" (and {len(clauses) - 3} more)" if len(clauses) > 3 else ""
        raise RegistryError(f"{where}: {'; '.join(clauses[:3])}{more}") from None
    src = spec.source
    source = records.WeightSource(
        repo_id=src.repo_id, revision=src.revision, url=src.url, converter=src.converter,
        unpinned=src.unpinned or "",
        files={role: records.WeightFile(filename=f.filename, sha256=f.sha256) for role, f in src.files.items()})
    fields = spec.model_dump(exclude={"source"})
    return records.WeightSet(name=name, source=source, plugin=origin, **fields)
