"""The core's own datasets, registered through the same hook as any plugin's."""
from zoo.hookspecs import hookimpl
from zoo.records import DatasetRecord


@hookimpl
def register_datasets(register):
    register(DatasetRecord(
        name="digits", builder="zoo.data.digits:Digits",
        description="scikit-learn's 1,797 labelled 8x8 digits, upsampled to 16/32 px, in [-1, 1]"))
