"""Policies as code: dated, sourced parameters; benefits; a quote engine with a trace (issue 6)."""
