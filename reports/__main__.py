"""``python -m reports``: see :mod:`reports.cli` (Ctrl-C while loading: exit 130, no traceback)."""

try:
    from reports.cli import main
except KeyboardInterrupt:
    raise SystemExit(130) from None

raise SystemExit(main())
