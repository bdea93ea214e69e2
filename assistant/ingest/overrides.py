"""Metadata given by the operator — flags on `add`, form fields on upload, or a sidecar file
``NAME.meta.json`` beside ``NAME.pdf`` — overriding what was inferred from the text."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from assistant.geo import NATIONAL, gazetteer
from assistant.ingest.dates import valid_date
from assistant.ingest.legal import status_of
from assistant.ingest.metadata import find_period
from assistant.models import LEGAL_STATUSES, DocumentMetadata, ParsedDocument

SIDECAR_SUFFIX = ".meta.json"
# the legal-status fields an operator may set (sidecar keys, `add` flags, upload form fields)
LEGAL_FLAGS = ("publisher", "source", "effective_date", "promulgated_date", "expiry_date", "status", "repeals")


class MetadataOverrides(BaseModel):
    title: str | None = Field(None, min_length=2, max_length=200)
    issuer: str | None = Field(None, max_length=300)
    number: str | None = Field(None, max_length=100)
    date: str | None = Field(None, description="YYYY-MM-DD")
    jurisdiction: str | None = Field(None, description="a place (武汉, 广西, Wuhan) or 国家")
    period: str | None = Field(None, description="2021-2025, 2022—2025年 or 十四五")
    supersedes: str | None = Field(None, max_length=200, description="doc_id of the plan this one replaces")
    publisher: str | None = Field(None, max_length=300, description="who republished the text (not its issuer)")
    source: str | None = Field(None, max_length=500, description="where the text was taken from (URL or name)")
    effective_date: str | None = Field(None, description="施行日期, YYYY-MM-DD")
    promulgated_date: str | None = Field(None, description="通过／公布日期, YYYY-MM-DD")
    expiry_date: str | None = Field(None, description="last day of validity, YYYY-MM-DD")
    status: str | None = Field(None, description="in_force / amended / repealed / not_yet_in_force, or 现行有效 / 已修改 / "
                                                 "已废止 / 尚未施行")
    repeals: list[str] | None = Field(None, max_length=50, description="titles or doc_ids this document repeals")

    model_config = {"extra": "forbid"}

    @field_validator("date", "effective_date", "promulgated_date", "expiry_date")
    @classmethod
    def iso_date(cls, value: str | None) -> str | None:
        if value is not None and (not re.fullmatch(r"(19|20)\d{2}-\d{2}-\d{2}", value)
                                  or valid_date(*value.split("-")) is None):
            raise ValueError(f"'{value}' is not a date like 2024-03-01")
        return value

    @field_validator("repeals", mode="before")
    @classmethod
    def title_list(cls, value: object) -> object:
        """A flag or form field gives one string: titles separated by ；"""
        return [t for t in re.split(r"[；;\n]", value) if t.strip()] if isinstance(value, str) else value

    @field_validator("status")
    @classmethod
    def known_status(cls, value: str | None) -> str | None:
        if value is None:
            return None
        status = value if value in LEGAL_STATUSES else status_of(value)
        if status is None:
            raise ValueError(f"'{value}' is not a status: use {', '.join(LEGAL_STATUSES)} (or 现行有效, 已修改, 已废止, 尚未施行)")
        return status

    @field_validator("jurisdiction")
    @classmethod
    def known_place(cls, value: str | None) -> str | None:
        if value is not None and value not in (NATIONAL, "全国", "national") and not gazetteer().find(value):
            raise ValueError(f"'{value}' is not a province, city or district of China, nor 国家")
        return value

    @field_validator("period")
    @classmethod
    def readable_period(cls, value: str | None) -> str | None:
        if value is not None and find_period(value, "") is None:
            raise ValueError(f"'{value}' is not a period like 2021-2025 or 十四五")
        return value

    def is_empty(self) -> bool:
        return not any(self.model_dump().values())

    def fingerprint(self) -> str:
        return json.dumps(self.model_dump(exclude_none=True), ensure_ascii=False, sort_keys=True)


def read_sidecar(path: Path) -> MetadataOverrides | None:
    """The overrides in ``NAME.meta.json`` beside a document, if there is one."""
    sidecar = path.with_name(path.stem + SIDECAR_SUFFIX)
    if not sidecar.exists():
        return None
    try:
        return MetadataOverrides(**json.loads(sidecar.read_text(encoding="utf-8")))
    except (ValueError, TypeError, ValidationError) as err:
        raise ValueError(f"{sidecar}: not valid metadata ({err})") from None


def merge(first: MetadataOverrides | None, second: MetadataOverrides | None) -> MetadataOverrides | None:
    """Fields of ``second`` win over ``first``."""
    if first is None or second is None:
        return second or first
    return MetadataOverrides(**{**first.model_dump(exclude_none=True), **second.model_dump(exclude_none=True)})


def apply_overrides(document: ParsedDocument, overrides: MetadataOverrides | None) -> ParsedDocument:
    if overrides is None or overrides.is_empty():
        return document
    meta: DocumentMetadata = document.metadata
    changes: dict = {key: value for key, value in overrides.model_dump(exclude_none=True).items()
                     if key in ("title", "issuer", "number", "date", "supersedes", *LEGAL_FLAGS) and key != "repeals"}
    if overrides.title:
        changes["title_inferred"] = False
    if overrides.repeals is not None:
        changes["repeals"] = tuple(t.strip("《》 ") for t in overrides.repeals if t.strip("《》 "))
    if overrides.period:
        changes["period"] = find_period(overrides.period, "")
    if overrides.jurisdiction:
        if overrides.jurisdiction in (NATIONAL, "全国", "national"):
            changes.update(jurisdiction=NATIONAL, jurisdiction_full="全国", level="national", region_code=None)
        else:
            places = gazetteer()
            found = places.find(overrides.jurisdiction)
            place = found[0]
            for other in found[1:]:
                if other.within(place):
                    place = other
            changes.update(jurisdiction=place.name, jurisdiction_full=places.full_name(place), level=place.level,
                           region_code=place.code)
    content_hash = hashlib.sha256((document.content_hash + overrides.fingerprint()).encode()).hexdigest()
    return replace(document, metadata=replace(meta, **changes), content_hash=content_hash)
