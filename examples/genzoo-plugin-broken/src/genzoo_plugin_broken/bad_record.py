"""A plugin that registers a plain dict instead of a zoo.records.Architecture."""
from zoo.hookspecs import hookimpl


@hookimpl
def register_architectures(register):
    register({"name": "not-a-record", "components": {"generator": "nowhere:Nothing"}})
