"""``/v1/session``: the dashboard's sign-in. An API key of the organisation buys a session held
in an HttpOnly, SameSite=Strict cookie (see auth/sessions.py); every other endpoint then takes
the cookie in place of the key, with ``X-CSRF-Token`` on whatever changes something."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from migrator_gateway.api import schemas
from migrator_gateway.api.deps import require_csrf, session_of, spend
from migrator_gateway.api.errors import ApiError
from migrator_gateway.auth import sessions
from migrator_gateway.auth.api_keys import KeyCache
from migrator_gateway.config import GatewaySettings

router = APIRouter(prefix="/v1/session", tags=["session"], responses=schemas.COMMON_ERRORS)


class SignInBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    apiKey: str = Field(min_length=1, max_length=200, description="An API key of the organisation")


def _view(session: sessions.Session) -> schemas.Session:
    return schemas.Session(
        orgId=session.org_id,
        keyPrefix=session.key_prefix,
        csrfToken=session.csrf_token,
        expiresAt=session.expires_at,
    )


def _secure(request: Request) -> bool:
    """Secure cookies whenever the browser speaks HTTPS, to us or to a proxy in front of us."""
    settings: GatewaySettings = request.app.state.settings
    return request.url.scheme == "https" or settings.base_url.startswith("https://")


@router.post(
    "",
    status_code=201,
    responses={201: {"description": "Signed in: the session cookie is set (HttpOnly, SameSite=Strict)"}},
)
async def sign_in(body: SignInBody, request: Request, response: Response) -> schemas.Session:
    """Sign in with an API key; the answer sets the session cookie and gives its CSRF token."""
    keys: KeyCache = request.app.state.keys
    key = body.apiKey.strip()
    org_id = await keys.org_for(key)
    if org_id is None:
        raise ApiError(401, "UNAUTHORIZED", "That API key is not valid: mistyped, or revoked")
    await spend(request, org_id)
    settings: GatewaySettings = request.app.state.settings
    session = await sessions.begin(
        request.app.state.store, org_id=org_id, key=key, hours=settings.session_hours
    )
    response.set_cookie(
        sessions.COOKIE,
        session.token,
        max_age=int(settings.session_hours * 3600),
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    return _view(session)


@router.get("")
async def current(request: Request) -> schemas.Session:
    """The session of the cookie: whether the browser is signed in, as whom, and its CSRF token."""
    token = request.cookies.get(sessions.COOKIE)
    if not token:
        raise ApiError(401, "UNAUTHORIZED", "Not signed in")
    session = await session_of(request, token)
    await spend(request, session.org_id)
    return _view(session)


@router.delete("", status_code=204, response_class=Response)
async def sign_out(request: Request) -> Response:
    """Sign out: the session ends on every replica and the cookie is cleared. Signing out of a
    session that has already ended (expired, its key revoked) just clears the cookie."""
    token = request.cookies.get(sessions.COOKIE)
    session = (
        await sessions.resolve(request.app.state.store, request.app.state.keys, token) if token else None
    )
    if session is not None:
        require_csrf(request, session)  # another site must not sign us out
        await sessions.end(request.app.state.store, session.token)
    response = Response(status_code=204)
    response.delete_cookie(
        sessions.COOKIE, path="/", secure=_secure(request), httponly=True, samesite="strict"
    )
    return response
