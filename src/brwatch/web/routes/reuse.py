"""The reuse-check form: paste or upload a draft, see the gate's answer and its reasons."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from brwatch.accounts import Capability
from brwatch.web.errors import WebError
from brwatch.web.i18n import N_
from brwatch.web.integrations import IntegrationInputError, run_reuse_gate
from brwatch.web.security import Access, SignedInUser
from brwatch.web.templating import render

router = APIRouter()
Checker = Annotated[SignedInUser, Depends(Access(Capability.REUSE_CHECK))]
MAX_DRAFT_BYTES = 2 * 1024 * 1024


@router.get("/reuse-check", include_in_schema=False)
def reuse_page(request: Request, user: Checker, article: str = "") -> Response:
    return render(request, "reuse.html", {"article_url": article, "draft": "", "answer": None})


async def _draft(draft: str, upload: UploadFile | None) -> tuple[bytes | str, str]:
    """The draft and a name for it (the file name tells the gate HTML from Markdown)."""
    if upload is not None and upload.filename:
        body = await upload.read(MAX_DRAFT_BYTES + 1)
        if len(body) > MAX_DRAFT_BYTES:
            raise WebError(413, "too_large", N_("The draft file is too large (2 MB at most)."))
        return body, upload.filename
    if not draft.strip():
        raise WebError(400, "bad_draft", N_("Paste the draft or choose a file."))
    return draft, "pasted draft"


@router.post("/reuse-check", include_in_schema=False)
async def reuse_check(
    request: Request,
    user: Checker,
    article_url: Annotated[str, Form(max_length=2048)],
    draft: Annotated[str, Form(max_length=MAX_DRAFT_BYTES)] = "",
    draft_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    body, name = await _draft(draft, draft_file)
    problem = None
    answer = None
    try:
        answer = await run_in_threadpool(
            run_reuse_gate, request.app.state.db, article_url.strip(), body, name, user.name
        )
    except IntegrationInputError as exc:
        problem = str(exc)
    return render(
        request,
        "reuse.html",
        {"article_url": article_url, "draft": draft, "answer": answer, "problem": problem},
        status_code=200 if problem is None else 422,
    )
