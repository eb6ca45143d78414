import os

from tracker import create_app

app = create_app()

# `make run` sets TRACKER_SCHEDULER=1: the development server then runs the scheduler in the
# process that serves (once, also with the reloader). Production runs it as its own process,
# `flask --app app scheduler`; gunicorn workers never start one.
if os.environ.get("TRACKER_SCHEDULER") == "1":
    from tracker.scheduler.runner import start_in_dev_server

    start_in_dev_server(app)
