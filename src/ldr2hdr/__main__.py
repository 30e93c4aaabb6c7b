"""``python -m ldr2hdr`` runs the command line."""

import sys

from ldr2hdr.cli import main

sys.exit(main())
