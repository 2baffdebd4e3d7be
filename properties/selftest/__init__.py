"""Tests of the suite itself and of the other packages: decision-rule calibration, power,
reports, theory self-consistency, the reference against PyTorch."""
