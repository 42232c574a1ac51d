"""Hook specifications: each hook receives a `register` callback and registers typed records."""
from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("genzoo")
hookimpl = HookimplMarker("genzoo")


@hookspec
def register_architectures(register):
    "Register architectures (zoo.records.Architecture): a paper's components, config, tasks and objective."


@hookspec
def register_objectives(register):
    "Register training objectives (zoo.records.ObjectiveRecord) by name."


@hookspec
def register_weights(register):
    "Register pretrained weight sets (zoo.records.WeightSet) beyond registry.yaml."


@hookspec
def register_converters(register):
    "Register readers of official checkpoint formats (zoo.records.Converter)."


@hookspec
def register_datasets(register):
    "Register datasets (zoo.records.DatasetRecord) that need no download."


@hookspec
def register_metrics(register):
    "Register quality metrics (zoo.records.MetricRecord)."


@hookspec
def register_commands(cli):
    "Add subcommands to the `zoo` command: `cli` is argparse's sub-parsers object."
