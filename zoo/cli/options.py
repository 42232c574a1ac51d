"""Parsing shared by every command: `k=v` overrides (`--config`, `--extractor-option`, bench configs)."""
from __future__ import annotations

from typing import Any, Sequence


def parse_kv(pairs: Sequence[str]) -> dict[str, Any]:
    """`k=v` pairs with YAML-typed values (`lr=1e-4`, `d_steps=2`, `prior=uniform`)."""
    import yaml

    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"zoo: --config takes key=value, got {pair!r}")
        parsed = yaml.safe_load(value)
        if isinstance(parsed, str):  # YAML 1.1 reads "1e-4" (no dot) as text; it is a number here
            try:
                parsed = float(parsed)
            except ValueError:
                pass
        out[key] = parsed
    return out


# the name the commands used before zoo/cli/ was a package
_parse_kv = parse_kv
