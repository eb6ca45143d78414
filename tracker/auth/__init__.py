"""Users, roles, log-in and permissions."""
