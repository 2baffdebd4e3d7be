"""The verification suite: decision rules, strategies, and tests of every claim against impls."""
