"""Pure building blocks shared by every domain: identifiers, errors, clock. Stdlib only."""
