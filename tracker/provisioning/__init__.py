"""Provisioning of accounts and groups by an identity provider (SCIM 2.0)."""
