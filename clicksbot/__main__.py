"""Run the command line as `python -m clicksbot`."""

from clicksbot.cli import main

raise SystemExit(main())
