"""Updates: adding one document to an index of the bundled corpus and of 100k chunks, against a
full rebuild.

    .venv/bin/python bench/update.py [--sizes 100000] [--docs 02 03] [--label after]
                                     [--out bench/results/update.json]

In one process, with the model loaded once (its load is not counted):

- ``rebuild_s``: ``ingest`` of the bundled corpus plus the document (parse, embed every passage,
  tag, write) — what an update would cost without incremental indexing;
- ``*_embed_s``: of those seconds, the model embedding passages (the floor of any update: an
  added document's own passages must be embedded);
- ``add_s``: ``IndexUpdater.add`` of the document to an index of the bundled corpus (parse, embed
  the new passages, tag, write, switch versions), then ``remove_s`` taking it out again;
- at each ``--sizes`` N: a synthetic index of N chunks (the real documents cloned under gazetteer
  jurisdictions, random vectors; see scale.py) saved with the model's name, then the same add and
  remove of the document, ``add_vs_bundled`` = its add time over the bundled one, and
  ``pickup_s``: loading the new version and building the service's stages on it (what each
  serving worker pays when it picks the version up).

The documents added are from ../shared/corpus/extra (by number prefix).  Run with another
checkout's package first on ``PYTHONPATH`` to measure that code ("before") with the same script.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(1, str(ROOT / "bench"))
EXTRA = ROOT.parent / "shared" / "corpus" / "extra"


class TimedEncoder:
    """The encoder, with the seconds spent embedding passages counted (``spent``)."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder
        self.spent = 0.0

    def __getattr__(self, name: str):
        return getattr(self.encoder, name)

    def encode_passages(self, texts, show_progress: bool = False):
        started = time.perf_counter()
        try:
            return self.encoder.encode_passages(texts, show_progress=show_progress)
        finally:
            self.spent += time.perf_counter() - started

    def take(self) -> float:
        spent, self.spent = self.spent, 0.0
        return round(spent, 2)


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def bundled(settings, encoder, doc: Path, work: Path) -> dict:
    from assistant.ingest.pipeline import bundled_corpus_dir
    from assistant.service import build_index
    from assistant.store.updater import IndexUpdater

    both = work / "both"
    both.mkdir()
    for path in [*bundled_corpus_dir().glob("*.txt"), doc]:
        shutil.copy(path, both)
    encoder.take()
    rebuild_s, _ = timed(lambda: build_index(settings.model_copy(update={"index_dir": work / "rebuilt"}), [both],
                                             encoder=encoder))
    rebuild_embed_s = encoder.take()
    target = settings.model_copy(update={"index_dir": work / "bundled"})
    build_index(target, [bundled_corpus_dir()], encoder=encoder)
    updater = IndexUpdater(target, encoder)
    encoder.take()
    add_s, report = timed(lambda: updater.add([doc]))
    add_embed_s = encoder.take()
    remove_s, _ = timed(lambda: updater.remove([doc.stem]))
    return {"rebuild_s": round(rebuild_s, 2), "rebuild_embed_s": rebuild_embed_s, "add_s": round(add_s, 2),
            "add_embed_s": add_embed_s, "remove_s": round(remove_s, 2),
            "rebuild_over_add": round(rebuild_s / add_s, 1),
            "rebuild_over_add_besides_embedding": round((rebuild_s - rebuild_embed_s) / (add_s - add_embed_s), 1),
            "embedded": report.embedded}


def synthetic(settings, encoder, size: int, docs: list[Path], work: Path) -> dict:
    from scale import CHUNK_COS, near, synthetic_documents, topic_vectors

    from assistant.service import PolicyAssistant
    from assistant.store.builder import assemble_index
    from assistant.store.index import load_index, save_index
    from assistant.store.updater import IndexUpdater

    target = settings.model_copy(update={"index_dir": work / f"synthetic-{size}"})
    documents, topic_of, n_topics = synthetic_documents(size, seed=7)
    topics = topic_vectors(n_topics, encoder.dimension, 7)
    vectors = near(topics[topic_of], CHUNK_COS, np.random.default_rng(8))
    build_s, index = timed(lambda: assemble_index(documents, vectors, settings.bm25_tokenizer, settings.model,
                                                  encoder.dimension))
    reference = load_index(work / "bundled", settings.model)  # need thresholds of a real index
    index.manifest["need_thresholds"] = reference.manifest.get("need_thresholds", {})
    save_index(index, target.index_dir)
    del index
    updater = IndexUpdater(target, encoder)
    rows = {}
    for doc in docs:
        encoder.take()
        add_s, report = timed(lambda: updater.add([doc]))
        add_embed_s = encoder.take()
        # what each serving worker pays to pick the new version up: load it, build the stages on it
        pickup_s, _ = timed(lambda: PolicyAssistant(target, load_index(target.index_dir, target.model), encoder,
                                                    auto_reload=False))
        remove_s, _ = timed(lambda: updater.remove([doc.stem]))
        rows[doc.name[:2]] = {"add_s": round(add_s, 2), "add_embed_s": add_embed_s, "remove_s": round(remove_s, 2),
                              "embedded": report.embedded,
                              "merge": getattr(report, "merge", ""), "pickup_s": round(pickup_s, 2)}
    return {"chunks": size, "build_s": round(build_s, 1), "documents": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000])
    parser.add_argument("--docs", nargs="*", default=["02", "03", "04"], help="number prefixes in shared/corpus/extra")
    parser.add_argument("--label", default="after")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "update.json")
    args = parser.parse_args()

    from assistant.service import load_encoder
    from assistant.settings import Settings

    docs = [next(EXTRA.glob(f"{prefix}_*.txt")) for prefix in args.docs]
    settings = Settings()
    encoder = TimedEncoder(load_encoder(settings))
    encoder.encode_queries(["预热"])
    work = Path(tempfile.mkdtemp(prefix="update-bench-"))
    try:
        result: dict = {"measured": time.strftime("%Y-%m-%d %H:%M"), "load_average": os.getloadavg()[0],
                        "bundled": {}}
        for doc in docs:
            folder = work / doc.stem
            folder.mkdir()
            result["bundled"][doc.name[:2]] = bundled(settings, encoder, doc, folder)
            print(doc.name[:2], result["bundled"][doc.name[:2]], flush=True)
        shutil.copytree(work / docs[0].stem / "bundled", work / "bundled")
        for size in args.sizes:
            result[str(size)] = synthetic(settings, encoder, size, docs, work)
            for prefix, row in result[str(size)]["documents"].items():
                bundled_row = result["bundled"][prefix]
                row["add_vs_bundled"] = round(row["add_s"] / bundled_row["add_s"], 2)
                row["add_vs_bundled_besides_embedding"] = round(
                    (row["add_s"] - row["add_embed_s"]) / (bundled_row["add_s"] - bundled_row["add_embed_s"]), 2)
            print(size, result[str(size)], flush=True)
        result["load_average_after"] = os.getloadavg()[0]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    recorded = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    recorded[args.label] = result
    args.out.write_text(json.dumps(recorded, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
