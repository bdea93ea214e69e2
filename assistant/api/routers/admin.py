"""Operator endpoints: upload a document (POST /api/documents) and remove one (DELETE
/api/documents/{doc_id}).  Guarded by the operator token; disabled when no token is configured."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from starlette.datastructures import UploadFile
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from assistant.api.deps import AssistantDep
from assistant.api.schemas import ErrorBody
from assistant.ingest.formats import OVER_LIMITS, SUPPORTED_SUFFIXES, TOO_LARGE
from assistant.ingest.overrides import MetadataOverrides
from assistant.service import PolicyAssistant
from assistant.store.updater import UpdateError
from assistant.uploads import UploadFolder

router = APIRouter(prefix="/api/documents", tags=["admin"])
MAX_FILE_NAME_BYTES = 180
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
    """The upload's file name reduced to one harmless component inside the uploads folder; a long
    name is shortened in its stem, so the suffix (the format) survives."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _SAFE_NAME.sub("_", base).lstrip("._")
    suffix = Path(base).suffix.lower()
    if not base or not Path(base).stem or suffix not in SUPPORTED_SUFFIXES:
        shown = (name or "")[-60:].encode("utf-8", "backslashreplace").decode()
        raise HTTPException(status_code=415, detail=f"unsupported file name '{shown}'; use one of "
                                                    f"{', '.join(SUPPORTED_SUFFIXES)}")
    room = MAX_FILE_NAME_BYTES - len(suffix.encode())  # file systems count a name in bytes (255 at most)
    return Path(base).stem.encode()[:room].decode("utf-8", "ignore") + suffix


async def read_limited(upload: UploadFile, limit: int) -> bytes:
    data = bytearray()
    while chunk := await upload.read(64 * 1024):
        data.extend(chunk)
        if len(data) > limit:
            raise HTTPException(status_code=413, detail=f"文件超过 {limit} 字节的上限")
    if not data:
        raise HTTPException(status_code=422, detail="the file is empty")
    return bytes(data)


METADATA_FIELDS = ("title", "issuer", "number", "date", "jurisdiction", "period", "supersedes")
UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "a .txt .md .pdf .docx .html policy document"},
                   **{field: {"type": "string", "maxLength": 300} for field in METADATA_FIELDS}},
}}}}
FIELD_BYTES = 4096  # a metadata form field


async def read_upload_form(request: Request, limit: int) -> tuple[str, bytes, MetadataOverrides | None]:
    """The file's safe name and bytes and the metadata overrides, read from the multipart body
    (only after the operator token was checked)."""
    try:
        form = await request.form(max_files=1, max_fields=len(METADATA_FIELDS), max_part_size=FIELD_BYTES)
    except HTTPException as err:  # malformed multipart, too many parts: 400 (BodyTooLarge stays 413)
        raise HTTPException(status_code=err.status_code, detail=f"malformed upload: {err.detail}") from None
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise HTTPException(status_code=422, detail="file: 请上传一个文件（multipart 字段 file）")
        name = safe_filename(file.filename)
        data = await read_limited(file, limit)
        fields = {key: value for key in METADATA_FIELDS if isinstance(value := form.get(key), str) and value}
    finally:
        await form.close()
    try:
        return name, data, MetadataOverrides(**fields) if fields else None
    except ValidationError as err:
        first = err.errors()[0]
        raise HTTPException(status_code=422, detail=f"{first['loc'][0]}: {first['msg'].removeprefix('Value error, ')}")


def refused_status(err: UpdateError) -> int:
    """413 for a file over the size limit once uncompressed, 422 for one whose extraction ran out of
    time or memory, 415 for one that is not what its name says or holds no text."""
    kinds = {getattr(e.__cause__, "kind", None) for e in err.errors}
    return 413 if TOO_LARGE in kinds else 422 if OVER_LIMITS in kinds else 415


@router.post("", response_model=UpdateOut, status_code=status.HTTP_201_CREATED,
             openapi_extra={"requestBody": UPLOAD_BODY},
             responses={400: {"model": ErrorBody, "description": "Malformed multipart body"},
                        401: {"model": ErrorBody, "description": "Missing or wrong operator token"},
                        404: {"model": ErrorBody, "description": "Operator endpoints disabled"},
                        413: {"model": ErrorBody, "description": "The file (or its uncompressed content) is "
                                                                 "over the upload limit"},
                        415: {"model": ErrorBody, "description": "Unsupported file name or content"},
                        422: {"model": ErrorBody, "description": "Empty file, bad metadata, or extraction over "
                                                                 "its time/memory limits"}})
async def upload_document(request: Request, assistant: OperatorDep) -> UpdateOut:
    """Add a document (or replace the one with the same file name): multipart `file` plus optional
    metadata fields (title, issuer, number, date, jurisdiction, period, supersedes).  The token is
    checked before the body is read; the live index switches to the new version only when it is
    complete."""
    name, data, overrides = await read_upload_form(request, assistant.settings.max_upload_bytes)
    uploads = UploadFolder(assistant.settings.data_dir / "uploads")
    source = uploads.save(name, data)  # the doc_id is the file's stem, as for files added from the command line
    try:
        report = await run_in_threadpool(assistant.add_documents, [source], overrides)
    except UpdateError as err:
        shutil.rmtree(source.parent, ignore_errors=True)
        detail = str(err).removeprefix("no document could be read: ").replace(str(source), name)
        raise HTTPException(status_code=refused_status(err), detail=detail) from None
    uploads.prune((doc.source for doc in assistant.current().index.documents.values()), keep=[source])
    return UpdateOut(**{k: getattr(report, k) for k in UpdateOut.model_fields})


@router.delete("/{doc_id}", response_model=UpdateOut,
               responses={401: {"model": ErrorBody, "description": "Missing or wrong operator token"},
                          404: {"model": ErrorBody, "description": "No such document, or operator endpoints "
                                                                  "disabled"},
                          409: {"model": ErrorBody, "description": "Removing it would leave the index empty"}})
def delete_document(doc_id: str, assistant: OperatorDep) -> UpdateOut:
    """Remove a document: its chunks leave the vectors and BM25 of the next version."""
    try:
        report = assistant.remove_documents([doc_id])
    except UpdateError as err:
        code = 404 if "no document" in str(err) else 409
        raise HTTPException(status_code=code, detail=str(err).replace(str(assistant.settings.index_dir), "the index"))\
            from None
    UploadFolder(assistant.settings.data_dir / "uploads").prune(
        doc.source for doc in assistant.current().index.documents.values())
    return UpdateOut(**{k: getattr(report, k) for k in UpdateOut.model_fields})
