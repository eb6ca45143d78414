"""The home page: what needs the signed-in user's attention, per role."""
