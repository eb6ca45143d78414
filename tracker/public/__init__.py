""" "You said, we did": the pages every employee reads. Read-only queries over every area;
nothing imports this package."""
