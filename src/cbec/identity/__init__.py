"""Users, roles, sign-in, API tokens and the scope each role may see."""
