"""``python -m tracehound``: the same as the ``tracehound`` command."""

from tracehound.cli import main

main()
