"""`python -m coopkit.cli` runs `coop`."""

from coopkit.cli.main import main

main()
