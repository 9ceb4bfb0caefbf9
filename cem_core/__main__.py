"""``python -m cem_core``: see ``cem_core.cli``."""

import sys

from cem_core.cli import main

sys.exit(main())
