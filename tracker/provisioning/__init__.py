"""Provisioning of accounts from outside: SCIM 2.0 (`api.py`, `scim.py`, `services.py`,
tokens) and the HR file import (`hr_file.py` reads the file, `hr_import.py` applies it)."""


def init_app(app) -> None:
    """Sign-in through the identity provider counts the provisioned groups too (the groups
    claim may not list them), so signing in does not take away the role they give."""
    from tracker.provisioning.queries import provisioned_group_names

    app.extensions.setdefault("tracker.group_sources", []).append(provisioned_group_names)
