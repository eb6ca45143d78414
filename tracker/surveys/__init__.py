"""Survey rounds, questions, findings per department, comments, and the importers."""
