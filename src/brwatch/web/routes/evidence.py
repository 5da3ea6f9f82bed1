"""An item's signed evidence package (WACZ), for legal: the item page's download button."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from brwatch.accounts import Capability
from brwatch.evidence import EvidenceError, KeyProblem, build_package, key_path, load_signing_key
from brwatch.web.errors import WebError
from brwatch.web.i18n import N_
from brwatch.web.security import Access, SignedInUser

router = APIRouter()


@router.get("/items/{article_id}/evidence", include_in_schema=False)
def evidence_package(
    request: Request,
    article_id: int,
    user: Annotated[SignedInUser, Depends(Access(Capability.EVIDENCE))],
) -> Response:
    try:
        key = load_signing_key(key_path(request.app.state.settings.signing_key))
    except KeyProblem as exc:
        raise WebError(
            503,
            "no_signing_key",
            N_("Evidence packages cannot be signed here: %(problem)s"),
            problem=str(exc),
        ) from exc
    folder = Path(tempfile.mkdtemp(prefix="brwatch-evidence-"))
    output = folder / f"item-{article_id}.wacz"
    try:
        build_package(request.app.state.db, "", output, key, article_id=article_id)
    except EvidenceError as exc:
        _remove(folder)
        raise WebError(
            404, "no_evidence", N_("No evidence can be packaged: %(problem)s"), problem=str(exc)
        ) from exc
    return FileResponse(
        output,
        media_type="application/wacz",
        filename=output.name,
        background=BackgroundTask(_remove, folder),
    )


def _remove(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink(missing_ok=True)
    folder.rmdir()
