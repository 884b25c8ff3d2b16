"""The ``cbec`` command line: thin commands over the services."""
