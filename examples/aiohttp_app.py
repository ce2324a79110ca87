"""An aiohttp backend with one mailseg client for the app's whole life (``cleanup_ctx``).

The context opens the client at startup and, at cleanup, cancels the bulk jobs
still running and closes the client's pool. The same endpoints as
``fastapi_app.py``: ``GET /segments``, ``POST /tags/{tag_id}/members`` (a bulk
job in the background, ``202 {"job_id"}``), ``GET /jobs/{job_id}``.

    MAILSEG_PROVIDER=sendcloud MAILSEG_TOKEN=... python examples/aiohttp_app.py
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

import mailseg

CLIENT = web.AppKey("mailseg", mailseg.Client)
JOBS = web.AppKey("mailseg_jobs", dict[str, "asyncio.Task[mailseg.BulkResult]"])

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def mailseg_context(
    settings: mailseg.Settings | None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A ``cleanup_ctx`` entry: the client lives from startup to cleanup."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        client = mailseg.Client.from_env() if settings is None else mailseg.Client(settings)
        async with client:
            app[CLIENT] = client
            app[JOBS] = {}
            yield
            jobs = app[JOBS].values()
            for task in jobs:
                task.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)

    return context


@web.middleware
async def mailseg_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """mailseg errors as HTTP answers: 422 for a bad argument, 404, else 502."""
    try:
        return await handler(request)
    except mailseg.ValidationError as exc:
        return web.json_response({"parameter": exc.parameter, "message": exc.message}, status=422)
    except mailseg.NotFoundError as exc:
        return web.json_response({"message": exc.message}, status=404)
    except mailseg.MailsegError as exc:
        request_id = getattr(exc, "request_id", None)
        return web.json_response({"message": str(exc), "request_id": request_id}, status=502)


async def list_segments(request: web.Request) -> web.Response:
    client = request.app[CLIENT]
    try:
        offset = int(request.query.get("offset", "0"))
        limit = int(request.query.get("limit", "10"))
    except ValueError:
        return web.json_response({"message": "offset and limit are integers"}, status=422)
    page = await client.segments.list(name=request.query.get("name"), offset=offset, limit=limit)
    return web.json_response(
        {
            "total": page.total,
            "segments": [
                {
                    "id": s.id,
                    "name": s.name,
                    "status": None if s.status is None else s.status.name,
                    "members": s.member_total,
                }
                for s in page
            ],
        }
    )


async def start_tagging(request: web.Request) -> web.Response:
    client = request.app[CLIENT]
    body: Any = await request.json()
    member_ids = body.get("member_ids") if isinstance(body, dict) else None
    if not isinstance(member_ids, list):
        return web.json_response({"message": "member_ids: a list of ids"}, status=422)
    work = client.tags.add_members(request.match_info["tag_id"], member_ids, raise_on_error=False)
    job_id = uuid.uuid4().hex
    request.app[JOBS][job_id] = asyncio.ensure_future(work)
    return web.json_response({"job_id": job_id}, status=202)


async def job(request: web.Request) -> web.Response:
    job_id = request.match_info["job_id"]
    task = request.app[JOBS].get(job_id)
    if task is None:
        return web.json_response({"message": f"no job {job_id}"}, status=404)
    if not task.done():
        return web.json_response({"state": "running"})
    if task.cancelled() or task.exception() is not None:
        return web.json_response({"state": "failed", "message": str(task.exception())})
    result = task.result()
    return web.json_response(
        {
            "state": "done" if result.ok else "done with failures",
            "requested": result.requested,
            "succeeded": result.succeeded,
            "failed_ids": list(result.failed_ids),
        }
    )


def create_app(settings: mailseg.Settings | None = None) -> web.Application:
    """The app; ``settings`` None reads the ``MAILSEG_*`` environment variables."""
    app = web.Application(middlewares=[mailseg_errors])
    app.cleanup_ctx.append(mailseg_context(settings))
    app.router.add_get("/segments", list_segments)
    app.router.add_post("/tags/{tag_id}/members", start_tagging)
    app.router.add_get("/jobs/{job_id}", job)
    return app


if __name__ == "__main__":
    web.run_app(create_app())
