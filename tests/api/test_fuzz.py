"""Issue 14: schemathesis drives every operation of the OpenAPI schema in-process — valid and
invalid generated requests, a bounded number each — and asserts no 5xx, documented status codes and
content types, and responses that conform to their schema.  It runs against a copy of the session
index with the operator token, so uploads and deletes are exercised without touching the shared
index."""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from assistant.api.app import create_app
from assistant.service import PolicyAssistant
from assistant.settings import Settings
from assistant.store.index import load_index

TOKEN = "fuzz-token"
EXAMPLES = 40  # per operation and mode; the calls take about 30 s in all
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# The operations, read from the schema itself (building the app loads nothing).
LABELS = [f"{method.upper()} {path}" for path, item in create_app(Settings()).openapi()["paths"].items()
          for method in item if method in {"get", "post", "put", "patch", "delete"}]


@pytest.fixture(scope="module")
def api_schema(assistant, tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(assistant.settings.index_dir, root / "index")
    fuzz_settings = assistant.settings.model_copy(update={
        "index_dir": root / "index", "data_dir": root / "data", "admin_token": TOKEN,
        "feedback_per_minute": 100_000, "max_upload_bytes": 200_000, "extract_seconds": 5})
    copy = PolicyAssistant(fuzz_settings, load_index(fuzz_settings.index_dir, fuzz_settings.model), assistant.encoder)
    app = create_app(fuzz_settings, assistant=copy)
    with TestClient(app):  # runs the start-up once (the feedback store on the app state)
        pass
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_every_operation_is_fuzzed() -> None:
    assert {"POST /api/ask", "POST /api/ask/stream", "POST /api/feedback", "POST /api/match",
            "POST /api/documents", "DELETE /api/documents/{doc_id}", "GET /healthz"} <= set(LABELS)


@pytest.mark.parametrize("label", LABELS)
def test_no_server_errors_and_schema_conformance(api_schema, label) -> None:
    operation = api_schema.find_operation_by_label(label)
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=2 * EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
        case.validate_response(response, checks=CHECKS)

    run()
