"""``python -m lengen.experiments [...]``: the ``lengen reproduce`` command, stand-alone."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
