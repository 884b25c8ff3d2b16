"""The policy catalog as data: one TOML file per seed document, YAML cases under ``tests/``."""
