"""The claim suite: every theory claim verified against the implementation under test."""
