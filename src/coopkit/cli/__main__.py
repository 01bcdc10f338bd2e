"""`python -m coopkit.cli` runs `coop`."""

from coopkit.cli.main import run

run()
