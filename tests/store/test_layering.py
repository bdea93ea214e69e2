"""The store (indexing) does not reach up into matching: dependencies flow one way."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "assistant"


def _imports(folder: Path) -> set[str]:
    names = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
    return names


def test_store_and_ingest_do_not_import_matching() -> None:
    for layer in ("store", "ingest", "text"):
        upward = {name for name in _imports(PACKAGE / layer) if name.startswith("assistant.matching")}
        assert not upward, f"assistant/{layer} imports {upward}"
