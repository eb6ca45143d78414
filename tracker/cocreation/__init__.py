"""Co-creation: internal customers react to public actions and follow departments and actions."""
