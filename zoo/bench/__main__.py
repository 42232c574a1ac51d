"""`python -m zoo.bench`: the worker that `run_isolated` starts for one model (JSON in, JSON out)."""
import sys

from zoo.bench.harness import _worker

sys.exit(_worker())
