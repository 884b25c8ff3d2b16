"""cbec: online comprehensive service platform for cross-border e-commerce pilot zones."""

__version__ = "0.1.0"
