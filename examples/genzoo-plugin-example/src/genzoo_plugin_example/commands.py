"""`zoo lsgan-codings`: the a-b-c codings of Mao et al. 2017. No torch import (it is not needed)."""
from __future__ import annotations

import json

CODINGS = [
    {"equation": 8, "a": -1.0, "b": 1.0, "c": 0.0,
     "note": "b - c = 1 and b - a = 2: minimises the Pearson chi2 divergence"},
    {"equation": 9, "a": 0.0, "b": 1.0, "c": 1.0,
     "note": "0-1 coding: G makes D believe fakes are real; used in the experiments"},
]


def add_lsgan_codings_command(subparsers) -> None:
    p = subparsers.add_parser("lsgan-codings", help="the a-b-c codings of the least-squares GAN (example plugin)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    print(json.dumps(CODINGS, indent=2))
    return 0
