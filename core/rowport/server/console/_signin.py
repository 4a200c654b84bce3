"""Sign-in and sign-out: an API key exchanged for the session cookie, and the cookie ended."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from rowport.server.console._access import CONSOLE_PREFIX, Access
from rowport.server.console._http import page, read_form, see
from rowport.server.console._render import render
from rowport.server.console._session import COOKIE, Session

__all__ = ["signin", "signin_page", "signout"]


def _signin_html(message: str | None) -> str:
    return render(
        "signin.html", title="Sign in", page="", session=None, events=None, message=message
    )


async def signin_page(access: Access, request: Request) -> Response:
    """The sign-in form."""
    return page(_signin_html(None))


async def signin(access: Access, request: Request) -> Response:
    """A key from the form: a session cookie and the tasks page, or the form again (401)."""
    fields = await read_form(request)
    made = access.sessions.sign_in(fields.get("token", ""))
    if made is None:
        return page(_signin_html("That key is unknown or was revoked."), 401)
    session_id, _ = made
    response = see(f"{CONSOLE_PREFIX}/tasks")
    response.set_cookie(
        COOKIE,
        session_id,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


async def signout(access: Access, request: Request, session: Session) -> Response:
    """End the session (a CSRF-checked form) and go back to sign-in."""
    await access.form(request, session)
    access.sessions.sign_out(request.cookies.get(COOKIE))
    response = see(f"{CONSOLE_PREFIX}/signin")
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
