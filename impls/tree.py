"""Parameters as an ndarray or a (nested) dict of ndarrays, and maps over them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

Params = np.ndarray | Mapping[str, "Params"]
"""An ndarray, or a mapping from names to ndarrays or further mappings."""


def tree_map(function: Callable[..., Any], tree: Any, *rest: Any, name: str = "params") -> Any:
    """Apply ``function`` leafwise to ``tree`` and trees of the same structure.

    Args:
        function: called with one leaf from each tree.
        tree: an ndarray or a mapping of ndarrays (nested allowed).
        *rest: trees with exactly the same keys.
        name: how errors refer to ``tree``.

    Returns:
        A new tree (dicts are rebuilt; leaves are whatever ``function`` returns).
    """
    if isinstance(tree, Mapping):
        for other in rest:
            if not isinstance(other, Mapping) or set(other) != set(tree):
                raise ValueError(f"{name} and its companions must have the same keys")
        return {
            key: tree_map(function, tree[key], *(o[key] for o in rest), name=f"{name}[{key!r}]")
            for key in tree
        }
    for other in rest:
        if isinstance(other, Mapping):
            raise ValueError(f"{name} is an array but a companion tree is a mapping")
    return function(tree, *rest)


def tree_leaves(tree: Any) -> list[Any]:
    """Return the leaves of ``tree`` in key order."""
    if isinstance(tree, Mapping):
        return [leaf for key in tree for leaf in tree_leaves(tree[key])]
    return [tree]


def as_param_tree(tree: Any, name: str) -> Any:
    """Check that ``tree`` is an ndarray or mapping of float ndarrays; return it unchanged."""

    def check(leaf: Any) -> Any:
        if not isinstance(leaf, np.ndarray) or leaf.dtype.kind != "f":
            raise TypeError(
                f"{name} must be a float ndarray or a dict of float ndarrays, "
                f"got a leaf of type {type(leaf).__name__}"
            )
        return leaf

    tree_map(check, tree, name=name)
    return tree
