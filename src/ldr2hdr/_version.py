"""The package version, kept in one place (read by pyproject.toml and weights metadata)."""

__version__ = "0.1.0"
