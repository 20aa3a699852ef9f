"""Entry point for `python -m solver`."""
import sys

from .cli import main

sys.exit(main())
