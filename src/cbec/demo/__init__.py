"""Reproducible demonstration data: plausible enterprises for the five seed cities."""
