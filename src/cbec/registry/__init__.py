"""Enterprise registry (主体备案): enterprises, their roles, and the cities and districts they sit in."""
