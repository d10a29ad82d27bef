"""``python -m pkitui`` runs the same command line as the ``pkitui`` entry point."""

from pkitui.cli import main

raise SystemExit(main())
