"""Quick or full mode for the benchmark suite.

Quick (the default, what CI runs with the repo's `--benchmark-disable`): each architecture's tiny
test_config at batch size 2, every benchmark body run once as a plain test, so the suite never rots.
Full: the default (paper) configs at batch sizes 1 and 64, timed by pytest-benchmark. Full mode is
chosen by `--bench-mode full`, by GENZOO_BENCH_MODE=full, or implied by `--benchmark-only`.
GENZOO_BENCH_DEVICE (cpu, cuda) and GENZOO_BENCH_DTYPE (fp32, bf16, fp16) pick the device and dtype.
"""
from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

RESULTS = Path(__file__).parent / "results"


def pytest_addoption(parser):
    parser.addoption("--bench-mode", choices=("quick", "full"), default=None,
                     help="genzoo benchmarks: quick (test configs, batch 2) or full (default configs, batch 1 and 64)")


def bench_mode(config) -> str:
    chosen = config.getoption("--bench-mode", None) or os.environ.get("GENZOO_BENCH_MODE")
    if chosen:
        if chosen not in ("quick", "full"):
            raise pytest.UsageError(f"GENZOO_BENCH_MODE must be quick or full, got {chosen!r}")
        return chosen
    return "full" if config.getoption("benchmark_only", False) else "quick"


def pytest_configure(config):
    # The repo's addopts disable benchmarks (quick mode in CI); --benchmark-only asks for them, so
    # re-enable instead of letting pytest-benchmark refuse the two options together.
    if config.getoption("benchmark_only", False):
        config.option.benchmark_enable = True
        if config.getoption("benchmark_json", None) is None and bench_mode(config) == "full":
            device = os.environ.get("GENZOO_BENCH_DEVICE", "cpu")
            RESULTS.mkdir(exist_ok=True)
            config.option.benchmark_json = RESULTS / f"pytest-{device}-{datetime.date.today().isoformat()}.json"


@pytest.fixture(scope="session")
def mode(request) -> str:
    return bench_mode(request.config)


@pytest.fixture(scope="session")
def device() -> str:
    return os.environ.get("GENZOO_BENCH_DEVICE", "cpu")


@pytest.fixture(scope="session")
def dtype() -> str:
    return os.environ.get("GENZOO_BENCH_DTYPE", "fp32")


def pytest_generate_tests(metafunc):
    """test_bench_suite.py: every architecture × task × the mode's batch sizes."""
    if {"architecture", "task", "batch_size"} <= set(metafunc.fixturenames):
        sizes = (2,) if bench_mode(metafunc.config) == "quick" else (1, 64)
        combos = [(a, t, b) for a, t in metafunc.module.cases() for b in sizes]
        metafunc.parametrize("architecture,task,batch_size", combos, ids=[f"{a}-{t}-b{b}" for a, t, b in combos])
