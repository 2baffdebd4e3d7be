"""Parameters as an ndarray or a (nested) dict of ndarrays, and maps over them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from impls._checks_numeric import FLOATING

Params = np.ndarray | Mapping[str, "Params"]
"""An ndarray, or a mapping from names to ndarrays or further mappings."""


def _key_difference(name: str, other: str, keys: set[Any], other_keys: set[Any]) -> str:
    missing, extra = sorted(map(repr, keys - other_keys)), sorted(map(repr, other_keys - keys))
    parts = ([f"missing key(s) {', '.join(missing)}"] if missing else []) + (
        [f"extra key(s) {', '.join(extra)}"] if extra else []
    )
    return f"{other} must have the same keys as {name}: {'; '.join(parts)}"


def tree_map(
    function: Callable[..., Any],
    tree: Any,
    *rest: Any,
    name: str = "params",
    names: Sequence[str] = (),
) -> Any:
    """Apply ``function`` leafwise to ``tree`` and trees of the same structure.

    Args:
        function: called with one leaf from each tree.
        tree: an ndarray or a mapping of ndarrays (nested allowed).
        *rest: trees with exactly the same keys.
        name: how errors refer to ``tree``.
        names: how errors refer to each of ``rest`` (default ``"companion 1"``, ...).

    Returns:
        A new tree (dicts are rebuilt; leaves are whatever ``function`` returns).

    Raises:
        ValueError: a companion's keys differ (the missing and extra keys are named), or one
            tree is a mapping where another is an array.
    """
    labels = list(names) + [f"companion {i + 1}" for i in range(len(names), len(rest))]
    if isinstance(tree, Mapping):
        for other, label in zip(rest, labels, strict=False):
            if not isinstance(other, Mapping):
                raise ValueError(f"{label} must be a mapping like {name}, got {type(other).__name__}")
            if set(other) != set(tree):
                raise ValueError(_key_difference(name, label, set(tree), set(other)))
        return {
            key: tree_map(
                function,
                tree[key],
                *(o[key] for o in rest),
                name=f"{name}[{key!r}]",
                names=[f"{label}[{key!r}]" for label in labels],
            )
            for key in tree
        }
    for other, label in zip(rest, labels, strict=False):
        if isinstance(other, Mapping):
            raise ValueError(f"{name} is an array but {label} is a mapping")
    return function(tree, *rest)


def tree_leaves(tree: Any) -> list[Any]:
    """Return the leaves of ``tree`` in key order."""
    if isinstance(tree, Mapping):
        return [leaf for key in tree for leaf in tree_leaves(tree[key])]
    return [tree]


def as_param_tree(tree: Any, name: str) -> Any:
    """Check that ``tree`` is a floating ndarray or a mapping of them; return it unchanged.

    Floating means float16, bfloat16, float32 or float64 (the library's dtype policy).
    """

    def check(leaf: Any) -> Any:
        if not isinstance(leaf, np.ndarray) or leaf.dtype not in FLOATING:
            got = type(leaf).__name__ if not isinstance(leaf, np.ndarray) else f"dtype {leaf.dtype}"
            raise TypeError(
                f"{name} must be a float ndarray or a dict of float ndarrays, got a leaf of {got}"
            )
        return leaf

    tree_map(check, tree, name=name)
    return tree
