"""gunicorn settings for the tracker (`gunicorn -c python:tracker.operations.gunicorn_conf`):
with PROMETHEUS_MULTIPROC_DIR set, a worker that exits takes its live gauges with it."""


def child_exit(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
