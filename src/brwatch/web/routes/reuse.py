"""The reuse-check form: paste or upload a draft, see the gate's answer and its reasons."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from brwatch.accounts import Capability
from brwatch.web.errors import WebError
from brwatch.web.i18n import N_
from brwatch.web.integrations import IntegrationInputError, run_reuse_gate
from brwatch.web.limits import MAX_DRAFT_BYTES, read_form
from brwatch.web.security import Access, SignedInUser
from brwatch.web.templating import render

router = APIRouter()
Checker = Annotated[SignedInUser, Depends(Access(Capability.REUSE_CHECK))]
MAX_URL_CHARS = 2048


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
    if len(draft.encode("utf-8", "surrogatepass")) > MAX_DRAFT_BYTES:
        raise WebError(413, "too_large", N_("The pasted draft is too large (2 MB at most)."))
    return draft, "pasted draft"


def _text_field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.post("/reuse-check", include_in_schema=False)
async def reuse_check(request: Request, user: Checker) -> Response:
    # Read here rather than declared as Form parameters: a pasted draft may reach 2 MB, past
    # the 1 MB a field may have when FastAPI parses the form itself (limits.read_form).
    form = await read_form(request)
    article_url = _text_field(form, "article_url").strip()
    draft = _text_field(form, "draft")
    upload = form.get("draft_file")
    if not article_url:
        raise WebError(400, "bad_request", N_("Give the URL of the article the draft reuses."))
    if len(article_url) > MAX_URL_CHARS:
        raise WebError(400, "bad_request", N_("The article URL is too long."))
    body, name = await _draft(draft, upload if isinstance(upload, UploadFile) else None)
    problem = None
    answer = None
    try:
        answer = await run_in_threadpool(
            run_reuse_gate, request.app.state.db, article_url, body, name, user.name
        )
    except IntegrationInputError as exc:
        problem = str(exc)
    return render(
        request,
        "reuse.html",
        {"article_url": article_url, "draft": draft, "answer": answer, "problem": problem},
        status_code=200 if problem is None else 422,
    )
