"""The FastAPI application: pages (``pages.py``) and the JSON API (``api.py``) over one ``Portal``."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from onboard.portal import uploads
from onboard.portal.security import Signer, signing_key
from onboard.portal.service import Portal, log_failure
from onboard.portal.submit import Submitter

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescape on for .html
# No Swagger UI: FastAPI loads it from a CDN, and nothing here may; /openapi.json is the API document.


def build_portal(home: Path, submitter: Submitter, *, secret_key: str | None = None) -> Portal:
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return Portal(home=home, signer=Signer(signing_key(home, secret_key)), submitter=submitter,
                  limits=uploads.limits_from_env())


def create_app(portal: Portal) -> FastAPI:
    from onboard.portal import api, pages

    app = FastAPI(title="hosted-onboard partner portal", version=_version(),
                  description="Upload order workbooks, read their findings, submit them and watch the batch. "
                              "Authenticate with the token the operator issued: `Authorization: Bearer ob_...`.",
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.portal = portal
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(pages.router)
    app.include_router(api.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
            return await http_exception_handler(request, exc)
        message = "There is no such page, or it is not yours." if exc.status_code == 404 else str(exc.detail)
        return HTMLResponse(templates.get_template("message.html").render(message=message, principal=None, csrf=""),
                            status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # Never a traceback to the browser: one sentence, the details in the operator's log.
        log_failure(portal.home, f"{request.method} {request.url.path}")
        message = "Something went wrong on our side; please try again. The operator can find the details in the portal log."
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=500)
        return HTMLResponse(templates.get_template("message.html").render(message=message, principal=None, csrf=""),
                            status_code=500)

    @app.middleware("http")
    async def headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'")
        return response

    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hosted-onboard")
    except PackageNotFoundError:
        return "0"


def app_from_env() -> FastAPI:
    """For ``uvicorn onboard.portal.app:app_from_env --factory``: settings from the environment."""
    from onboard.portal.submit import PrefectSubmitter
    from onboard.settings import load_settings

    settings = load_settings()
    key = settings.secret_key.get_secret_value() if settings.secret_key else None
    return create_app(build_portal(settings.home, PrefectSubmitter(os.environ.get("PREFECT_API_URL")), secret_key=key))
