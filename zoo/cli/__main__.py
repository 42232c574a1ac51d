"""`python -m zoo.cli` (what torchrun starts): the `zoo` command."""
import sys

from zoo.cli.main import main

sys.exit(main())
