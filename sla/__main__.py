"""``python -m sla`` runs the command line."""

import sys

from sla.cli.main import main

sys.exit(main())
