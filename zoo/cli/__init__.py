"""The `zoo` command (console script `zoo = zoo.cli:main`): one module per group of subcommands."""
from zoo.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
