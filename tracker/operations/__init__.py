"""Running the tracker: health and readiness for load balancers, backups, request logs."""
