"""The benchmark harness (`zoo bench` and `import zoo.bench`): one package, one module per job.

harness (rows, settings, isolation), workloads (what a task runs), timing, memory, devices (peaks,
environment), flops, report (tables, JSON/CSV/Markdown, comparisons) and plot. The public names of
the harness are re-exported here lazily, so importing the package stays cheap.
"""
from __future__ import annotations

_HARNESS = ("SCHEMA", "BenchSettings", "ModelSpec", "resolve_models", "bench_row", "plan", "run_bench",
            "run_isolated", "document", "settings_to_json", "settings_from_json", "numeric_settings")


def __getattr__(name: str):
    if name in _HARNESS:
        from zoo.bench import harness

        return getattr(harness, name)
    raise AttributeError(f"module 'zoo.bench' has no attribute {name!r}")


__all__ = list(_HARNESS)
