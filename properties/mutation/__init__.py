"""Whole-suite mutation testing of ``impls``: one-line, API-preserving bugs as data.

:mod:`properties.mutation.catalogue` lists the mutations; ``python -m properties.mutation`` applies
each to a copy of the tree and runs the whole suite on it (see :mod:`properties.mutation.runner`).
Unlike ``properties/mutants.py`` (mutants as separate functions fed to the checks), these bugs are
edits of the source, so every test of the suite may catch them, and none is written for one.
"""
