"""``python -m sla`` runs the command line."""

import sys

from sla.cli import main

sys.exit(main())
