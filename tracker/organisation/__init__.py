"""Departments, the services directorate and organisation-wide settings."""
