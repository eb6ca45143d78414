"""SCIM 2.0 (RFC 7643, RFC 7644) as the tracker speaks it: the resources it serves, what the
discovery endpoints announce, and the mapping between a SCIM resource and the tracker's data.

The schema is scim2-models' (pydantic): requests are parsed and responses serialised by it,
PATCH operations are applied by it. Nothing here touches the database or the request.

Error details (ProvisioningError) are English on purpose: they are read by provisioning
clients and their administrators' logs, never shown on the tracker's pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    Context,
    Email,
    ETag,
    Filter,
    Meta,
    Mutability,
    Name,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    Schema,
    ScimPolicy,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

from tracker.errors import DomainError

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"

#: Most resources one list response carries (ServiceProviderConfig filter.maxResults).
MAX_RESULTS = 200
DEFAULT_COUNT = 100
#: Largest request body accepted (a group with a few thousand members fits easily).
MAX_PAYLOAD_BYTES = 1024 * 1024

#: What the tracker tolerates from clients, as Microsoft Entra ID needs it: attributes and
#: extensions it does not keep (title, the enterprise extension…) are ignored, not refused;
#: `remove` with a value removes those members; `replace emails[type eq "work"].value` on a
#: person without a work address adds one.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


class ProvisioningError(DomainError):
    """A provisioning request the tracker refuses, with the SCIM status and scimType to
    answer. The message is English (for machines and logs, see the module's docstring)."""

    def __init__(self, detail: str, status: int = 400, scim_type: str | None = None):
        super().__init__(detail)
        self.status = status
        self.scim_type = scim_type


# --- The resources ------------------------------------------------------------------------


class Member(ComplexAttribute):
    """A person in a group (nested groups are not kept)."""

    value: Annotated[str | None, Mutability.immutable, Required.true, CaseExact.true] = None
    """The id of the member's User resource."""

    # The quoted name is what scim2-models publishes as the referenceType.
    ref: Annotated[Reference["User"] | None, Mutability.immutable] = Field(  # noqa: UP037
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The URI of the member's User resource."""

    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])
    """Always 'User'."""


class GroupMembership(ComplexAttribute):
    """A group the person is in, as the groups' own members say."""

    value: Annotated[str | None, Mutability.read_only, CaseExact.true] = None
    """The id of the Group resource."""

    ref: Annotated[Reference["Group"] | None, Mutability.read_only] = Field(  # noqa: UP037
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The URI of the Group resource."""

    display: Annotated[str | None, Mutability.read_only] = None
    """The group's displayName."""

    type: Annotated[str | None, Mutability.read_only] = Field(None, examples=["direct"])
    """Always 'direct'."""


class User(Resource[Any]):
    """A person with an account in the tracker. userName is the e-mail address the tracker
    uses; when it is not an e-mail address, the primary (else work, else first) address in
    emails is used. The role comes from the groups (group mappings), never from here."""

    __schema__ = URN(USER_SCHEMA)

    user_name: Annotated[str | None, Required.true, Uniqueness.server] = None
    """Unique; compared case-insensitively; normally the person's e-mail address."""

    name: Name | None = None
    """The person's name; formatted, else givenName and familyName, names them when
    displayName is not given."""

    display_name: str | None = None
    """The name the tracker shows."""

    emails: list[Email] | None = None
    """E-mail addresses; the tracker's comes from userName or, failing that, from here."""

    preferred_language: str | None = None
    """nl or en (e.g. nl-NL) sets the tracker's language for the person."""

    locale: str | None = None
    """Used for the language when preferredLanguage is not given."""

    active: bool | None = None
    """false deactivates the account (signed out at once, no mail); unassigned is active."""

    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None
    """The provisioned groups the person is in (read-only: change a Group's members)."""


class Group(Resource[Any]):
    """A group at the identity provider. Its displayName is looked up in the tracker's group
    mappings, which give its members a role and a place in a department."""

    __schema__ = URN(GROUP_SCHEMA)

    display_name: Annotated[str | None, Required.true] = None
    """The group's name, as mapped on the tracker's group mapping page."""

    members: list[Member] | None = None
    """The people in the group."""


Member.model_rebuild()
GroupMembership.model_rebuild()


# --- Discovery ----------------------------------------------------------------------------


def service_provider_config(base_url: str) -> ServiceProviderConfig:
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A token made by a tracker administrator (Users → SCIM tokens, or "
                "flask scim-token create), sent as 'Authorization: Bearer <token>'.",
                primary=True,
            )
        ],
        meta=Meta(
            resource_type="ServiceProviderConfig", location=f"{base_url}/ServiceProviderConfig"
        ),
    )


RESOURCE_MODELS = {"User": User, "Group": Group}


def resource_types(base_url: str) -> list[ResourceType]:
    types = []
    for name, model in RESOURCE_MODELS.items():
        resource_type = ResourceType.from_resource(model)
        resource_type.description = (model.__doc__ or name).split(".")[0].strip()
        resource_type.meta = Meta(
            resource_type="ResourceType", location=f"{base_url}/ResourceTypes/{name}"
        )
        types.append(resource_type)
    return types


def schemas(base_url: str) -> list[Schema]:
    published = []
    for model in RESOURCE_MODELS.values():
        schema = model.to_schema().model_copy(deep=True)
        if model is User:
            # Published as required so that clients that read the schema always send an
            # address; a request whose userName is itself an address is accepted without
            # (Entra ID sends no emails for people without a mailbox).
            schema["emails"].required = Required.true
            schema["emails"]["value"].required = Required.true
        schema.meta = Meta(resource_type="Schema", location=f"{base_url}/Schemas/{schema.id}")
        published.append(schema)
    return published


# --- Users --------------------------------------------------------------------------------


@dataclass
class AccountData:
    """What a User resource means for the tracker's account."""

    user_name: str
    email: str
    name: str
    #: None: the resource names no language the tracker has; the account's stays.
    locale: str | None
    active: bool
    external_id: str | None
    #: The resource's other attributes as sent, kept to read it back (ScimUser.attributes).
    attributes: dict = field(default_factory=dict)


def _address(value: str | None) -> str | None:
    """The e-mail address in `value`, lower-cased, or None when it is not one."""
    if not value or len(value) > 254:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _email_of(resource: User, user_name: str) -> str:
    address = _address(user_name)
    if address:
        return address
    emails = [e for e in resource.emails or [] if e.value]
    chosen = (
        next((e for e in emails if e.primary), None)
        or next((e for e in emails if e.type == Email.Type.work), None)
        or next(iter(emails), None)
    )
    address = _address(chosen.value) if chosen else None
    if not address:
        raise ProvisioningError(
            "userName is not an e-mail address and emails holds none: the tracker needs one",
            400,
            "invalidValue",
        )
    return address


def _name_of(resource: User, email: str) -> str:
    name = resource.name
    candidates = [
        resource.display_name,
        name.formatted if name else None,
        " ".join(p for p in (name.given_name, name.family_name) if p) if name else None,
    ]
    chosen = next((c.strip() for c in candidates if c and c.strip()), email)
    return chosen[:200]


def _language_of(resource: User, languages) -> str | None:
    for value in (resource.preferred_language, resource.locale):
        if value:
            code = value.replace("_", "-").split("-")[0].strip().lower()
            if code in languages:
                return code
    return None


def account_data(resource: User, languages) -> AccountData:
    """The account a (validated) User resource describes; refuses one the tracker cannot
    keep. `languages`: the codes the tracker speaks."""
    user_name = (resource.user_name or "").strip().lower()
    if not user_name:
        raise ProvisioningError("userName is required", 400, "invalidValue")
    if len(user_name) > 254:
        raise ProvisioningError("userName is longer than 254 characters", 400, "invalidValue")
    external_id = resource.external_id
    if external_id is not None and len(external_id) > 255:
        raise ProvisioningError("externalId is longer than 255 characters", 400, "invalidValue")
    email = _email_of(resource, user_name)
    attributes = resource.model_dump(scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
    for key in ("schemas", "userName", "externalId"):
        attributes.pop(key, None)
    return AccountData(
        user_name=user_name,
        email=email,
        name=_name_of(resource, email),
        locale=_language_of(resource, languages),
        active=resource.active is not False,
        external_id=external_id,
        attributes=attributes,
    )


@dataclass
class Stored:
    """What the tracker holds about a provisioned account, for `user_resource`."""

    scim_id: str
    user_name: str
    external_id: str | None
    attributes: dict
    #: The account's state (an administrator may have changed it by hand).
    active: bool
    created_at: datetime
    updated_at: datetime
    #: (scim id, displayName) of the groups the person is in.
    groups: list[tuple[str, str]]


def user_resource(stored: Stored, base_url: str) -> User:
    attributes = dict(stored.attributes)
    assigned = attributes.pop("active", None) is not None
    resource = User.model_validate(attributes, scim_policy=POLICY)
    resource.id = stored.scim_id
    resource.user_name = stored.user_name
    resource.external_id = stored.external_id
    # The account's real state; unassigned (active) when the client never set it.
    resource.active = stored.active if assigned or not stored.active else None
    resource.groups = [
        GroupMembership(
            value=scim_id, ref=f"{base_url}/Groups/{scim_id}", display=name, type="direct"
        )
        for scim_id, name in stored.groups
    ] or None
    resource.meta = Meta(
        resource_type="User",
        created=stored.created_at,
        last_modified=stored.updated_at,
        location=f"{base_url}/Users/{stored.scim_id}",
    )
    return resource


# --- Groups -------------------------------------------------------------------------------


@dataclass
class GroupData:
    display_name: str
    external_id: str | None
    #: The ids of the members' User resources, without repeats, in the order sent.
    member_ids: list[str]


def group_data(resource: Group) -> GroupData:
    display_name = (resource.display_name or "").strip()
    if not display_name:
        raise ProvisioningError("displayName is required", 400, "invalidValue")
    if len(display_name) > 255:
        raise ProvisioningError("displayName is longer than 255 characters", 400, "invalidValue")
    if resource.external_id is not None and len(resource.external_id) > 255:
        raise ProvisioningError("externalId is longer than 255 characters", 400, "invalidValue")
    member_ids: list[str] = []
    for member in resource.members or []:
        if member.type and member.type.lower() != "user":
            raise ProvisioningError(
                "only Users can be members; nested groups are not kept", 400, "invalidValue"
            )
        if not member.value:
            raise ProvisioningError("a member without a value", 400, "invalidValue")
        if member.value not in member_ids:
            member_ids.append(member.value)
    return GroupData(
        display_name=display_name, external_id=resource.external_id, member_ids=member_ids
    )


def group_resource(
    scim_id: str,
    display_name: str,
    external_id: str | None,
    member_ids: list[str],
    created_at: datetime,
    updated_at: datetime,
    base_url: str,
) -> Group:
    return Group(
        id=scim_id,
        display_name=display_name,
        external_id=external_id,
        members=[
            Member(value=member, ref=f"{base_url}/Users/{member}", type="User")
            for member in member_ids
        ]
        or None,
        meta=Meta(
            resource_type="Group",
            created=created_at,
            last_modified=updated_at,
            location=f"{base_url}/Groups/{scim_id}",
        ),
    )
