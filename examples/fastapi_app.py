"""A FastAPI backend with one mailseg client for the app's whole life.

The client (and its connection pool) is opened in the lifespan and closed at
shutdown, after the bulk jobs still running are cancelled (a cancelled bulk
call returns its connections to the pool first). Endpoints:

- ``GET /segments?name=&offset=&limit=``: one page of segments;
- ``POST /tags/{tag_id}/members`` with ``{"member_ids": [...]}``: starts a bulk
  tagging job in the background and answers ``202 {"job_id": ...}`` at once;
- ``GET /jobs/{job_id}``: the job's state and, once done, its counts and the
  ids to send again.

mailseg errors become HTTP answers: a bad argument 422 (naming the parameter),
an unknown segment or tag 404, any other provider error 502 with the
provider's request id when it sent one.

    pip install fastapi uvicorn
    MAILSEG_PROVIDER=sendcloud MAILSEG_TOKEN=... uvicorn examples.fastapi_app:app
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

import mailseg


class MemberIds(BaseModel):
    member_ids: list[str]


class Jobs:
    """The bulk jobs of this process: a task per job, kept until it is read."""

    def __init__(self) -> None:
        self.tasks: dict[str, asyncio.Task[mailseg.BulkResult]] = {}

    def start(self, work: Any) -> str:
        job_id = uuid.uuid4().hex
        self.tasks[job_id] = asyncio.ensure_future(work)
        return job_id

    async def cancel_all(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)


def create_app(settings: mailseg.Settings | None = None) -> FastAPI:
    """The app; ``settings`` None reads the ``MAILSEG_*`` environment variables."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = mailseg.Client.from_env() if settings is None else mailseg.Client(settings)
        jobs = Jobs()
        async with client:
            app.state.mailseg = client
            app.state.jobs = jobs
            try:
                yield
            finally:
                await jobs.cancel_all()

    app = FastAPI(lifespan=lifespan)

    @app.exception_handler(mailseg.MailsegError)
    async def mailseg_error(request: Request, exc: mailseg.MailsegError) -> JSONResponse:
        if isinstance(exc, mailseg.ValidationError):
            return JSONResponse({"parameter": exc.parameter, "message": exc.message}, 422)
        if isinstance(exc, mailseg.NotFoundError):
            return JSONResponse({"message": exc.message}, 404)
        request_id = getattr(exc, "request_id", None)
        return JSONResponse({"message": str(exc), "request_id": request_id}, 502)

    @app.get("/segments")
    async def list_segments(
        request: Request, name: str | None = None, offset: int = 0, limit: int = 10
    ) -> dict[str, Any]:
        client: mailseg.Client = request.app.state.mailseg
        page = await client.segments.list(name=name, offset=offset, limit=limit)
        return {
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

    @app.post("/tags/{tag_id}/members", status_code=202)
    async def start_tagging(request: Request, tag_id: str, body: MemberIds) -> dict[str, str]:
        client: mailseg.Client = request.app.state.mailseg
        jobs: Jobs = request.app.state.jobs
        # raise_on_error=False: a failed chunk is reported by the job, not lost in a task.
        work = client.tags.add_members(tag_id, body.member_ids, raise_on_error=False)
        return {"job_id": jobs.start(work)}

    @app.get("/jobs/{job_id}")
    async def job(request: Request, job_id: str) -> JSONResponse:
        jobs: Jobs = request.app.state.jobs
        task = jobs.tasks.get(job_id)
        if task is None:
            return JSONResponse({"message": f"no job {job_id}"}, 404)
        if not task.done():
            return JSONResponse({"state": "running"})
        if task.cancelled() or task.exception() is not None:
            return JSONResponse({"state": "failed", "message": str(task.exception())})
        result = task.result()
        return JSONResponse(
            {
                "state": "done" if result.ok else "done with failures",
                "requested": result.requested,
                "succeeded": result.succeeded,
                "failed_ids": list(result.failed_ids),
            }
        )

    return app


def __getattr__(name: str) -> FastAPI:
    # `uvicorn examples.fastapi_app:app` builds the app from the environment on
    # first access; importing the module (as the tests do) reads nothing.
    if name == "app":
        return create_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
