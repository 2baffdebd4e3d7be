"""``python -m properties.mutation [--only ID ...] [--out FILE] [--timeout S]``."""

from properties.mutation.runner import main

raise SystemExit(main())
