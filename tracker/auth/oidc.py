"""The OpenID Connect client: the authorization code flow with state, nonce and PKCE (S256),
through Authlib's Flask client.

Configured only by the app's settings (OIDC_*). The provider's metadata is fetched at the
first sign-in, not when the app starts, so the tracker starts while the provider is down;
a failed fetch is tried again at the next sign-in. Everything that can go wrong ends in
SignInRefused with a message for the person and a reason for the security log (never a
token).
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.base_client.errors import MismatchingStateError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import current_app, request
from flask_babel import lazy_gettext as _l
from joserfc.errors import JoseError

from tracker.auth.identities import SignInRefused

NAME = "oidc"
_EXTENSION = "tracker.oidc_clients"

STATE_INVALID = _l(
    "This sign-in could not be matched to a sign-in started here: it was used already, it is "
    "too old, or it was started elsewhere. Start again from the log-in page."
)
PROVIDER_DENIED = _l(
    "The identity provider did not sign you in (it was cancelled or refused there). Start "
    "again from the log-in page."
)
PROVIDER_UNREACHABLE = _l(
    "The identity provider cannot be reached right now, so signing in through it does not "
    "work. Try again in a few minutes."
)
ANSWER_INVALID = _l(
    "The answer from the identity provider could not be verified, so you are not signed in. "
    "Start again from the log-in page; if this keeps happening, tell your administrator."
)


@dataclass(frozen=True)
class Settings:
    issuer: str
    client_id: str
    client_secret: str
    provider_name: str
    groups_claim: str
    scopes: str
    only: bool
    trust_email: bool
    timeout: float

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


def settings() -> Settings | None:
    """The app's OIDC settings; None when sign-in through a provider is not configured."""
    config = current_app.config
    issuer = (config.get("OIDC_ISSUER") or "").rstrip("/")
    if not (issuer and config.get("OIDC_CLIENT_ID") and config.get("OIDC_CLIENT_SECRET")):
        return None
    return Settings(
        issuer=issuer,
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config["OIDC_CLIENT_SECRET"],
        provider_name=config.get("OIDC_PROVIDER_NAME") or "SSO",
        groups_claim=config.get("OIDC_GROUPS_CLAIM") or "groups",
        scopes=config.get("OIDC_SCOPES") or "openid email profile",
        only=bool(config.get("OIDC_ONLY")),
        trust_email=bool(config.get("OIDC_TRUST_EMAIL")),
        timeout=float(config.get("OIDC_TIMEOUT") or 10),
    )


def _client(config: Settings) -> FlaskOAuth2App:
    """One Authlib client per app and settings; it keeps the metadata once fetched."""
    clients = current_app.extensions.setdefault(_EXTENSION, {})
    client = clients.get(config)
    if client is None:
        scopes = config.scopes.split()
        if "openid" not in scopes:
            scopes.insert(0, "openid")  # without it there is no ID token and no nonce
        client = FlaskOAuth2App(
            FlaskIntegration(NAME),
            name=NAME,
            client_id=config.client_id,
            client_secret=config.client_secret,
            server_metadata_url=config.metadata_url,
            client_kwargs={
                "scope": " ".join(scopes),
                "code_challenge_method": "S256",
                "default_timeout": config.timeout,
            },
        )
        clients[config] = client
    return client


def _load_metadata(client: FlaskOAuth2App, config: Settings) -> dict:
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        raise SignInRefused(
            PROVIDER_UNREACHABLE,
            f"provider unreachable: discovery failed ({type(error).__name__})",
            502,
        ) from error
    if metadata.get("issuer", "").rstrip("/") != config.issuer:
        # The discovery document must name the issuer it was fetched for (OIDC Discovery 4.3).
        client.server_metadata.clear()
        raise SignInRefused(
            PROVIDER_UNREACHABLE,
            f"discovery names another issuer: {metadata.get('issuer')!r}",
            502,
        )
    return metadata


def redirect_to_provider(config: Settings, redirect_uri: str):
    """The redirect to the provider's authorization endpoint; state, nonce and the PKCE
    verifier are kept in the session for the callback."""
    client = _client(config)
    _load_metadata(client, config)
    return client.authorize_redirect(redirect_uri)


def claims_from_callback(config: Settings) -> dict:
    """Finish the flow on the callback: check the state, exchange the code (with the PKCE
    verifier), verify the ID token (signature, issuer, audience, expiry, nonce), and add
    the userinfo claims. Returns the claims."""
    client = _client(config)
    error = request.args.get("error")
    if error:
        raise SignInRefused(PROVIDER_DENIED, f"provider error={error[:100]!r}")
    if not request.args.get("state") or not request.args.get("code"):
        raise SignInRefused(STATE_INVALID, "callback without state or code")
    issuer_param = request.args.get("iss")
    if issuer_param is not None and issuer_param.rstrip("/") != config.issuer:
        # RFC 9207: the answer comes from another provider (a mix-up attack).
        raise SignInRefused(ANSWER_INVALID, f"callback from another issuer {issuer_param[:200]!r}")
    _load_metadata(client, config)
    try:
        token = client.authorize_access_token(
            claims_options={
                # Authlib checks the audience only through `azp` unless told: the ID token
                # must be meant for this client, from this issuer.
                "iss": {"essential": True, "values": [client.server_metadata["issuer"]]},
                "aud": {"essential": True, "value": config.client_id},
            }
        )
    except MismatchingStateError as refused:
        raise SignInRefused(
            STATE_INVALID, "state does not match a sign-in started in this session"
        ) from refused
    except OAuthError as refused:
        # The token endpoint refused the code (used, expired, issued to another client).
        raise SignInRefused(ANSWER_INVALID, f"token endpoint error={refused.error}") from refused
    except JoseError as refused:
        raise SignInRefused(
            ANSWER_INVALID, f"ID token rejected: {refused.error} {refused.description}"
        ) from refused
    except (requests.RequestException, ValueError) as refused:
        raise SignInRefused(
            PROVIDER_UNREACHABLE,
            f"provider unreachable at the token exchange ({type(refused).__name__})",
            502,
        ) from refused
    id_claims = token.get("userinfo")
    if not id_claims:
        raise SignInRefused(ANSWER_INVALID, "no ID token in the token response")
    claims = dict(id_claims)
    metadata = client.server_metadata
    if metadata.get("userinfo_endpoint") and token.get("access_token"):
        claims = _with_userinfo(client, token, claims)
    return claims


def _with_userinfo(client: FlaskOAuth2App, token: dict, claims: dict) -> dict:
    """The ID token's claims, completed by the userinfo endpoint's (some providers put e-mail
    and groups only there). The ID token's own claims win."""
    try:
        userinfo = client.userinfo(token=token)
    except (requests.RequestException, OAuthError, ValueError) as error:
        raise SignInRefused(
            PROVIDER_UNREACHABLE, f"userinfo request failed ({type(error).__name__})", 502
        ) from error
    if userinfo.get("sub") != claims.get("sub"):
        raise SignInRefused(ANSWER_INVALID, "userinfo is about another subject")
    return {**dict(userinfo), **claims}
