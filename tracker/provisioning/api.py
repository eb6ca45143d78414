"""The SCIM 2.0 endpoints at /scim/v2, for an identity provider's provisioning client.

Only a bearer token (ScimToken) opens them; a session cookie never does, and so they need
no CSRF token. Every answer is application/scim+json; every refusal is a SCIM Error
(RFC 7644 §3.12), never an HTML page. Error details are English: see scim.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, Response, current_app, g, request
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    ListResponse,
    PatchOp,
    ResponseParameters,
    SCIMException,
    SearchRequest,
)
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from tracker.extensions import csrf, db
from tracker.provisioning import queries, scim, services, tokens
from tracker.provisioning.scim import ProvisioningError
from tracker.rendering import absolute_url

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
# Bearer tokens only: a browser's cookies open nothing here, so there is nothing to forge.
csrf.exempt(bp)

security_log = logging.getLogger("tracker.security")
MEDIA_TYPE = "application/scim+json"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
LIST_PARAMETERS = ("filter", "startIndex", "count", "attributes", "excludedAttributes")


# --- Answers ------------------------------------------------------------------------------


def _answer(payload: dict | None, status: int = 200, **headers) -> Response:
    response = Response(
        json.dumps(payload, ensure_ascii=False) if payload is not None else None,
        status=status,
        mimetype=MEDIA_TYPE if payload is not None else None,
    )
    response.headers["Cache-Control"] = "no-store"
    if payload is None:
        del response.headers["Content-Type"]
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


def _error(status: int, detail: str, scim_type: str | None = None, **headers) -> Response:
    error = Error(status=status, scim_type=scim_type, detail=detail)
    return _answer(error.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE), status, **headers)


def _from_exception(error: SCIMException) -> Response:
    body = error.to_error()
    return _answer(body.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE), body.status or 400)


def _base_url() -> str:
    """Resource locations on BASE_URL, like every absolute link (never the Host header)."""
    return absolute_url("scim.root").rstrip("/")


def _not_allowed(*allowed: str) -> Response:
    return _error(405, f"{request.method} is not allowed here", None, Allow=", ".join(allowed))


# --- Authentication and errors ------------------------------------------------------------


@bp.before_request
def authenticate():
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    token = None
    if scheme.lower() == "bearer" and presented.strip():
        token = tokens.authenticate(presented.strip())
    if token is None:
        db.session.rollback()
        security_log.warning(
            "scim request refused ip=%s path=%s reason=%s",
            request.remote_addr or "-",
            request.path,
            "unknown or revoked token" if presented.strip() else "no token",
        )
        challenge = 'Bearer realm="tracker SCIM"'
        if presented.strip():
            challenge += ', error="invalid_token"'  # RFC 6750 §3.1
        return _error(401, "a valid bearer token is required", None, WWW_Authenticate=challenge)
    db.session.commit()  # the last use, when it was recorded
    g.scim_client = token.name
    g.audit_actor = f"scim:{token.name}"  # the audit trail names the client
    return None


@bp.errorhandler(ProvisioningError)
def provisioning_error(error: ProvisioningError):
    db.session.rollback()
    return _error(error.status, str(error.message), error.scim_type)


@bp.errorhandler(SCIMException)
def scim_exception(error: SCIMException):
    db.session.rollback()
    return _from_exception(error)


@bp.errorhandler(ValidationError)
def validation_error(error: ValidationError):
    db.session.rollback()
    first = Error.from_validation_errors(error)[0]
    return _answer(first.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE), first.status or 400)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    return _error(413, f"the request body is larger than {scim.MAX_PAYLOAD_BYTES} bytes")


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return _error(error.code or 500, error.description or error.name)


@bp.errorhandler(Exception)
def unexpected(error: Exception):
    db.session.rollback()
    current_app.logger.error("scim request failed path=%s", request.path, exc_info=error)
    return _error(500, "the tracker could not handle this request")


@contextmanager
def _committed() -> Iterator[None]:
    """Run the services of one request and commit; two clients racing for the same
    userName meet the unique constraint, which is a uniqueness error, not a 500."""
    try:
        yield
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ProvisioningError(
            "a resource with this value exists already", 409, "uniqueness"
        ) from None


def _payload() -> dict:
    if (request.content_length or 0) > scim.MAX_PAYLOAD_BYTES:
        raise RequestEntityTooLarge()
    raw = request.get_data(cache=False)  # a body without a length: MAX_CONTENT_LENGTH caps it
    if len(raw) > scim.MAX_PAYLOAD_BYTES:
        raise RequestEntityTooLarge()
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ProvisioningError("the request body is not JSON", 400, "invalidSyntax") from None
    if not isinstance(payload, dict):
        raise ProvisioningError("the request body is not a JSON object", 400, "invalidSyntax")
    return payload


def _response_parameters(model) -> ResponseParameters:
    values = {
        key: request.args[key]
        for key in ("attributes", "excludedAttributes")
        if request.args.get(key)
    }
    return ResponseParameters[model].model_validate(values)


# --- Discovery ----------------------------------------------------------------------------


@bp.route("/", methods=METHODS)
def root():
    return _error(404, "see /ServiceProviderConfig, /ResourceTypes and /Schemas")


@bp.route("/<path:anything>", methods=METHODS)
def not_found(anything: str):
    return _error(404, "no such endpoint")


@bp.route("/ServiceProviderConfig", methods=METHODS)
def service_provider_config():
    if request.method != "GET":
        return _not_allowed("GET")
    config = scim.service_provider_config(_base_url())
    return _answer(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _discovery_list(resources) -> Response:
    listed = ListResponse[type(resources[0])](
        total_results=len(resources),
        start_index=1,
        items_per_page=len(resources),
        resources=resources,
    )
    return _answer(listed.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@bp.route("/ResourceTypes", methods=METHODS)
def resource_types():
    if request.method != "GET":
        return _not_allowed("GET")
    return _discovery_list(scim.resource_types(_base_url()))


@bp.route("/ResourceTypes/<type_id>", methods=METHODS)
def resource_type(type_id: str):
    if request.method != "GET":
        return _not_allowed("GET")
    found = next((t for t in scim.resource_types(_base_url()) if t.id == type_id), None)
    if found is None:
        return _error(404, f"no resource type {type_id}")
    return _answer(found.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@bp.route("/Schemas", methods=METHODS)
def schemas():
    if request.method != "GET":
        return _not_allowed("GET")
    return _discovery_list(scim.schemas(_base_url()))


@bp.route("/Schemas/<path:schema_id>", methods=METHODS)
def schema(schema_id: str):
    if request.method != "GET":
        return _not_allowed("GET")
    found = next((s for s in scim.schemas(_base_url()) if s.id == schema_id), None)
    if found is None:
        return _error(404, f"no schema {schema_id}")
    return _answer(found.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@bp.route("/.search", methods=METHODS)
def search():
    return _error(
        501, "searching several resource types at once is not supported; search /Users or /Groups"
    )


# --- Lists --------------------------------------------------------------------------------


def _search_request(model, values: dict) -> SearchRequest:
    values = {key: value for key, value in values.items() if key in LIST_PARAMETERS}
    try:
        return SearchRequest[model].model_validate(values, scim_policy=scim.POLICY)
    except ValidationError as error:
        first = Error.from_validation_errors(error)[0]
        if "filter" in values and first.scim_type in (None, "invalidValue"):
            raise ProvisioningError(
                first.detail or "invalid filter", 400, "invalidFilter"
            ) from None
        raise


def _list(model, values: dict) -> Response:
    search_request = _search_request(model, values)
    node = search_request.filter.ast if search_request.filter else None
    start = search_request.start_index or 1
    count = min(
        scim.MAX_RESULTS,
        scim.DEFAULT_COUNT if search_request.count is None else search_request.count,
    )
    base = _base_url()
    if model is scim.User:
        total, links = queries.users_page(node, start, count)
        resources = [scim.user_resource(queries.stored(link), base) for link in links]
    else:
        total, groups = queries.groups_page(node, start, count)
        resources = [_group_resource(group, base) for group in groups]
    listed = ListResponse[model](
        total_results=total,
        start_index=start,
        items_per_page=len(resources),
        resources=resources,
    )
    return _answer(
        listed.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=search_request)
    )


@bp.route("/Users/.search", methods=METHODS)
def users_search():
    if request.method != "POST":
        return _not_allowed("POST")
    return _list(scim.User, _payload())


@bp.route("/Groups/.search", methods=METHODS)
def groups_search():
    if request.method != "POST":
        return _not_allowed("POST")
    return _list(scim.Group, _payload())


# --- Users --------------------------------------------------------------------------------


def _languages():
    return current_app.config["LANGUAGES"]


def _user_answer(scim_id: str, context: Context, status: int = 200) -> Response:
    db.session.expire_all()
    link = queries.provisioned_user(scim_id)
    resource = scim.user_resource(queries.stored(link), _base_url())
    body = resource.model_dump(
        scim_ctx=context, response_parameters=_response_parameters(scim.User)
    )
    headers = {"Location": resource.meta.location} if status == 201 else {}
    return _answer(body, status, **headers)


@bp.route("/Users", methods=METHODS)
def users():
    if request.method == "GET":
        return _list(scim.User, request.args.to_dict())
    if request.method != "POST":
        return _not_allowed("GET", "POST")
    resource = scim.User.model_validate(
        _payload(), scim_ctx=Context.RESOURCE_CREATION_REQUEST, scim_policy=scim.POLICY
    )
    with _committed():
        link = services.create_user(g.scim_client, scim.account_data(resource, _languages()))
        scim_id = link.scim_id
    return _user_answer(scim_id, Context.RESOURCE_CREATION_RESPONSE, 201)


@bp.route("/Users/<scim_id>", methods=METHODS)
def user(scim_id: str):
    link = queries.provisioned_user(scim_id)
    if link is None:
        return _error(404, f"no User with id {scim_id}")
    if request.method == "GET":
        return _user_answer(scim_id, Context.RESOURCE_QUERY_RESPONSE)
    if request.method == "DELETE":
        with _committed():
            services.delete_user(g.scim_client, link)
        return _answer(None, 204)
    current = scim.user_resource(queries.stored(link), _base_url())
    if request.method == "PUT":
        resource = scim.User.model_validate(
            _payload(), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST, scim_policy=scim.POLICY
        )
        resource.replace(current)
        context = Context.RESOURCE_REPLACEMENT_RESPONSE
    elif request.method == "PATCH":
        patch = PatchOp[scim.User].model_validate(
            _payload(), scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=scim.POLICY
        )
        resource = current
        context = Context.RESOURCE_PATCH_RESPONSE
        if not patch.patch(resource, scim_policy=scim.POLICY):
            return _user_answer(scim_id, context)  # nothing changed (e.g. only ignored attributes)
    else:
        return _not_allowed("GET", "PUT", "PATCH", "DELETE")
    with _committed():
        services.update_user(g.scim_client, link, scim.account_data(resource, _languages()))
    return _user_answer(scim_id, context)


# --- Groups -------------------------------------------------------------------------------


def _group_resource(group, base: str) -> scim.Group:
    return scim.group_resource(
        group.scim_id,
        group.display_name,
        group.external_id,
        [member.scim_id for member in group.members],
        group.created_at,
        group.updated_at,
        base,
    )


def _group_answer(scim_id: str, context: Context, status: int = 200) -> Response:
    db.session.expire_all()
    resource = _group_resource(queries.provisioned_group(scim_id), _base_url())
    body = resource.model_dump(
        scim_ctx=context, response_parameters=_response_parameters(scim.Group)
    )
    headers = {"Location": resource.meta.location} if status == 201 else {}
    return _answer(body, status, **headers)


@bp.route("/Groups", methods=METHODS)
def groups():
    if request.method == "GET":
        return _list(scim.Group, request.args.to_dict())
    if request.method != "POST":
        return _not_allowed("GET", "POST")
    resource = scim.Group.model_validate(
        _payload(), scim_ctx=Context.RESOURCE_CREATION_REQUEST, scim_policy=scim.POLICY
    )
    with _committed():
        group = services.create_group(g.scim_client, scim.group_data(resource))
        scim_id = group.scim_id
    return _group_answer(scim_id, Context.RESOURCE_CREATION_RESPONSE, 201)


@bp.route("/Groups/<scim_id>", methods=METHODS)
def group(scim_id: str):
    found = queries.provisioned_group(scim_id)
    if found is None:
        return _error(404, f"no Group with id {scim_id}")
    if request.method == "GET":
        return _group_answer(scim_id, Context.RESOURCE_QUERY_RESPONSE)
    if request.method == "DELETE":
        with _committed():
            services.delete_group(g.scim_client, found)
        return _answer(None, 204)
    current = _group_resource(found, _base_url())
    if request.method == "PUT":
        resource = scim.Group.model_validate(
            _payload(), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST, scim_policy=scim.POLICY
        )
        resource.replace(current)
        context = Context.RESOURCE_REPLACEMENT_RESPONSE
    elif request.method == "PATCH":
        patch = PatchOp[scim.Group].model_validate(
            _payload(), scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=scim.POLICY
        )
        resource = current
        context = Context.RESOURCE_PATCH_RESPONSE
        if not patch.patch(resource, scim_policy=scim.POLICY):
            return _group_answer(scim_id, context)  # nothing changed
    else:
        return _not_allowed("GET", "PUT", "PATCH", "DELETE")
    with _committed():
        services.update_group(g.scim_client, found, scim.group_data(resource))
    return _group_answer(scim_id, context)
