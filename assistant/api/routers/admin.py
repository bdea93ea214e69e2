"""Operator endpoints: upload a document (POST /api/documents) and remove one (DELETE
/api/documents/{doc_id}).  Guarded by the operator token; disabled when no token is configured."""

from __future__ import annotations

import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, HTTPException, UploadFile, status
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from assistant.api.deps import AssistantDep
from assistant.api.schemas import ErrorBody
from assistant.ingest.formats import SUPPORTED_SUFFIXES
from assistant.ingest.overrides import MetadataOverrides
from assistant.service import PolicyAssistant
from assistant.store.updater import IndexUpdater, UpdateError

router = APIRouter(prefix="/api/documents", tags=["admin"])
_SAFE_NAME = re.compile(r"[^\w\u4e00-\u9fff.\-]+")


def require_operator(assistant: AssistantDep, authorization: Annotated[str | None, Header()] = None,
                     x_admin_token: Annotated[str | None, Header()] = None) -> PolicyAssistant:
    expected = assistant.settings.admin_token
    if not expected:
        raise HTTPException(status_code=404, detail="admin endpoints are disabled; set POLICY_ASSISTANT_ADMIN_TOKEN")
    given = x_admin_token or (authorization or "").removeprefix("Bearer ").strip()
    if not given or not secrets.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(status_code=401, detail="missing or wrong operator token",
                            headers={"WWW-Authenticate": "Bearer"})
    return assistant


OperatorDep = Annotated[PolicyAssistant, Depends(require_operator)]


class UpdateOut(BaseModel):
    added: list[str]
    replaced: list[str]
    unchanged: list[str]
    removed: list[str]
    embedded: int
    reused: int
    seconds: float
    version: str


def safe_filename(name: str | None) -> str:
    """The upload's file name reduced to one harmless component inside the uploads folder."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _SAFE_NAME.sub("_", base).lstrip("._")[:120]
    suffix = Path(base).suffix.lower()
    if not base or not Path(base).stem or suffix not in SUPPORTED_SUFFIXES:
        raise HTTPException(status_code=415, detail=f"unsupported file name '{name}'; use one of "
                                                    f"{', '.join(SUPPORTED_SUFFIXES)}")
    return base


async def read_limited(upload: UploadFile, limit: int) -> bytes:
    data = bytearray()
    while chunk := await upload.read(64 * 1024):
        data.extend(chunk)
        if len(data) > limit:
            raise HTTPException(status_code=413, detail=f"the file is larger than {limit} bytes")
    if not data:
        raise HTTPException(status_code=422, detail="the file is empty")
    return bytes(data)


@router.post("", response_model=UpdateOut, status_code=status.HTTP_201_CREATED,
             responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}, 413: {"model": ErrorBody},
                        415: {"model": ErrorBody}, 422: {"model": ErrorBody}})
async def upload_document(
    assistant: OperatorDep,
    file: Annotated[UploadFile, File(description="a .txt .md .pdf .docx .html policy document")],
    title: Annotated[str | None, Form()] = None,
    issuer: Annotated[str | None, Form()] = None,
    number: Annotated[str | None, Form()] = None,
    date: Annotated[str | None, Form()] = None,
    jurisdiction: Annotated[str | None, Form()] = None,
    period: Annotated[str | None, Form()] = None,
    supersedes: Annotated[str | None, Form()] = None,
) -> UpdateOut:
    """Add a document (or replace the one with the same file name); the live index switches to the
    new version only when it is complete."""
    name = safe_filename(file.filename)
    data = await read_limited(file, assistant.settings.max_upload_bytes)
    fields = {k: v for k, v in dict(title=title, issuer=issuer, number=number, date=date, jurisdiction=jurisdiction,
                                    period=period, supersedes=supersedes).items() if v}
    try:
        overrides = MetadataOverrides(**fields) if fields else None
    except ValidationError as err:
        first = err.errors()[0]
        raise HTTPException(status_code=422, detail=f"{first['loc'][0]}: {first['msg'].removeprefix('Value error, ')}")
    folder = assistant.settings.data_dir / "uploads" / f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    source = folder / name  # the doc_id is the file's stem, as for files added from the command line
    source.write_bytes(data)
    try:
        report = await run_in_threadpool(IndexUpdater(assistant.settings, assistant.encoder).add, [source], overrides)
    except UpdateError as err:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(status_code=415, detail=str(err).removeprefix("no document could be read: ")) from None
    assistant.refresh()
    return UpdateOut(**{k: getattr(report, k) for k in UpdateOut.model_fields})


@router.delete("/{doc_id}", response_model=UpdateOut, responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}})
def delete_document(doc_id: str, assistant: OperatorDep) -> UpdateOut:
    """Remove a document: its chunks leave the vectors and BM25 of the next version."""
    try:
        report = IndexUpdater(assistant.settings, assistant.encoder).remove([doc_id])
    except UpdateError as err:
        code = 404 if "no document" in str(err) else 409
        raise HTTPException(status_code=code, detail=str(err)) from None
    assistant.refresh()
    return UpdateOut(**{k: getattr(report, k) for k in UpdateOut.model_fields})
