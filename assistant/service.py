"""The assistant as one object: settings, index, encoder, retriever and composer wired together."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from assistant.answer.abstain import SIGNALS, decide, facet_gaps
from assistant.answer.polarity import POLARITY_FEATURES
from assistant.reading.reader import Reader, Reading
from assistant.reading.features import FEATURES
from assistant.reading.learned import LinearModel, stored_model
from assistant.answer.composer import AnswerComposer
from assistant.answer.generative import GenerationSettings, GenerativeWriter
from assistant.understanding.conversation import MAX_HISTORY_TURNS, FollowUp, follow_up, is_orphan_follow_up
from assistant.eligibility.answer import eligibility_answer, with_checks_pending
from assistant.eligibility.checker import Assessment, EligibilityChecker
from assistant.eligibility.figures import CompanyFigures, read_figures
from assistant.embedding.encoder import Encoder
from assistant.embedding.ray_batch import RayEncoder, RayJobConfig, require_ray
from assistant.ingest.pipeline import IngestResult, bundled_corpus_dir
from assistant.limits import QuestionError, invalid_unicode_message, is_valid_unicode, too_long, validate_question
from assistant.models import Answer, Turn
from assistant.matching.matcher import EnterpriseProfile, MatchResult, ProfileMatcher
from assistant.matching.presenter import match_answer
from assistant.validity import Validity, resolved_repeals, validities
from assistant.matching.profile import profile_from_question
from assistant.understanding.question import QuestionAnalysis, analyse_question
from assistant.retrieval.choice import make_retriever
from assistant.retrieval.retriever import Filters, HybridRetriever, ScoredChunk
from assistant.settings import Settings
from assistant.text.company import ASKS_ELIGIBILITY
from assistant.ingest.overrides import MetadataOverrides
from assistant.store.updater import IndexUpdater, UpdateReport, index_snapshot, ingester
from assistant.store.index import (
    IndexNotFoundError,
    IndexProblem,
    PolicyIndex,
    StoredDocument,
    load_index,
    version_name,
)

log = logging.getLogger(__name__)


WARM_UP_QUESTION = "知识产权质押融资由哪个部门牵头，目标是多少？"
ORPHAN_FOLLOW_UP = ("这像是接着上一个问题的追问，但本次对话没有上一轮问题；请把问题说完整，"
                    "例如“武汉知识产权金融赋能这项任务的责任单位是哪些？”。")


def validate_history(history: list[Turn], max_chars: int) -> list[Turn]:
    """The last turns, each question held to the same limits as a question (answers are bounded by
    the Turn model); an earlier turn that breaks them is refused, never cut silently."""
    turns = list(history)[-MAX_HISTORY_TURNS:]
    for i, turn in enumerate(turns):
        if len(turn.question) > max_chars:
            raise QuestionError(f"history.{i}.question: {too_long(len(turn.question), max_chars)}")
        if not (is_valid_unicode(turn.question) and is_valid_unicode(turn.answer)):
            raise QuestionError(invalid_unicode_message(f"history.{i}"))
    return turns


def check_resolved(resolved: str, max_chars: int) -> str:
    """A follow-up read together with the previous question obeys the question limit too."""
    if len(resolved) > max_chars:
        raise QuestionError(f"追问连同上一轮问题共 {len(resolved)} 字，超过 {max_chars} 字的上限；请把问题写完整后重新提问")
    return resolved



def read_in_conversation(reader: Reader, follow: FollowUp, top_k: int, filters: Filters | None = None) -> Reading:
    """The reading of a question in its conversation.  A continuation ("要交哪些材料?", "实用新型的呢?")
    is read after the previous question, so that its parts borrow that question's words and are read
    next to its answer, in the documents the previous turn was about (unless it names a document of
    its own, or the caller's filters leave none of them); only its own parts are answered."""
    if not follow.continues:
        return reader.run(analyse_question(follow.text), top_k, filters)
    documents = reader.documents_of_turn(follow.context, follow.previous_answer)
    if filters is not None and filters.doc_ids:
        documents &= filters.doc_ids
    if documents and not any(name.named_in(follow.text) > 0 for name in reader.names):
        filters = replace(filters or Filters(), doc_ids=frozenset(documents))
    reading = reader.run(analyse_question(follow.resolved), top_k, filters)
    own = [r for r in reading.facets if r.facet.text not in follow.context]
    return replace(reading, facets=own) if own else reading


def profile_figures(profile: EnterpriseProfile, today: date) -> tuple[CompanyFigures | None, list[str]]:
    """The profile's typed figures, completed by what its description states (a typed field wins)."""
    if not profile.description:
        return profile.figures, []
    read = read_figures(profile.description, today)
    typed = profile.figures.model_dump(exclude_defaults=True) if profile.figures else {}
    return read.figures.model_copy(update=typed), read.understood


def check_filters(filters: Filters | None, index: PolicyIndex) -> None:
    """An unknown document id or jurisdiction is an error listing the known ones, never a silent empty search."""
    if not filters:
        return
    unknown = sorted(filters.doc_ids - set(index.documents))
    if unknown:
        raise QuestionError(f"未知的文件编号：{'、'.join(unknown)}；已收录的文件编号：{'、'.join(sorted(index.documents))}")
    known = sorted({d.metadata.jurisdiction for d in index.documents.values() if d.metadata.jurisdiction})
    unknown = sorted(filters.jurisdictions - set(known))
    if unknown:
        raise QuestionError(f"未知的地区：{'、'.join(unknown)}；可选的地区：{'、'.join(known)}")

@dataclass
class IngestReport:
    result: IngestResult
    index_dir: Path
    documents: int
    chunks: int
    seconds: float
    merged: list[str] = field(default_factory=list)  # added by an upload while this build ran, kept


def ray_job(settings: Settings) -> RayJobConfig:
    """How the Ray embedding job runs, from the settings."""
    return RayJobConfig(model=settings.model, cache_dir=settings.cache_dir, encode_batch=settings.embed_batch_size,
                        address=settings.ray_address, actors=settings.ray_actors, rows_per_batch=settings.ray_batch,
                        threads=settings.threads)


def load_encoder(settings: Settings) -> Encoder:
    """The embedding model the settings name, questions at their query precision."""
    return Encoder(settings.model, settings.cache_dir, settings.embed_batch_size, settings.query_precision)


def ingest_encoder(settings: Settings) -> Encoder | RayEncoder:
    """The encoder an ingest uses: the local one, or passages through Ray (``EMBED_BACKEND=ray``).
    A missing Ray is reported before the model is loaded."""
    if settings.embed_backend == "ray":
        require_ray()
    local = load_encoder(settings)
    return RayEncoder(local, ray_job(settings)) if settings.embed_backend == "ray" else local


def add_documents(settings: Settings, paths: list[Path], overrides: MetadataOverrides | None = None,
                  encoder: Encoder | RayEncoder | None = None) -> UpdateReport:
    """Add files, or replace the documents they update: the index gains one segment (store/updater.py)."""
    return IndexUpdater(settings, encoder or ingest_encoder(settings)).add(paths, overrides)


def remove_documents(settings: Settings, doc_ids: list[str], encoder: Encoder | RayEncoder | None = None) -> UpdateReport:
    """Remove documents by id: the next version marks them dead (an unknown id changes nothing)."""
    return IndexUpdater(settings, encoder or ingest_encoder(settings)).remove(doc_ids)


def build_index(settings: Settings, paths: list[Path] | None = None, encoder: Encoder | RayEncoder | None = None,
                show_progress: bool = False) -> IngestReport:
    """Ingest files (the bundled corpus by default), embed them and save the index atomically."""
    started = time.perf_counter()
    start = index_snapshot(settings)  # before the model loads and the corpus is parsed: uploads meanwhile are kept
    encoder = encoder or ingest_encoder(settings)  # local, or passages through Ray (EMBED_BACKEND): checked first
    result = ingester(settings).run(paths or [bundled_corpus_dir()])
    index, merged = IndexUpdater(settings, encoder).rebuild(result.documents, show_progress=show_progress, start=start)
    return IngestReport(result, settings.index_dir, len(index.documents), len(index.chunks),
                        time.perf_counter() - started, merged)


@dataclass(frozen=True)
class LoadedIndex:
    """One version of the index with the components built on it; swapped whole on reload."""

    index: PolicyIndex
    retriever: HybridRetriever
    reader: Reader
    composer: AnswerComposer
    matcher: ProfileMatcher
    answerable: LinearModel | None = None  # the learned abstention model (reader_model.json)
    eligibility: EligibilityChecker | None = None


class PolicyAssistant:
    """Answers and matches from the live index.  With ``auto_reload`` (the default) a finished
    update of the index directory is picked up by the next request, without a restart; a request
    always works on one complete version."""

    def __init__(self, settings: Settings, index: PolicyIndex, encoder: Encoder, auto_reload: bool = True):
        self.settings = settings
        self.encoder = encoder
        self.auto_reload = auto_reload
        self._reload_lock = threading.Lock()
        self._loaded = self._build(index)
        self.writer = (
            GenerativeWriter(GenerationSettings(settings.llm_base_url, settings.llm_model, settings.llm_api_key,
                                                settings.llm_timeout))
            if settings.llm_base_url
            else None
        )

    def _build(self, index: PolicyIndex) -> LoadedIndex:
        retriever = make_retriever(self.settings, index, self.encoder)  # embedded or Milvus (the store setting)
        standing = validities(index, self.settings.today)
        return LoadedIndex(
            index=index,
            retriever=retriever,
            reader=Reader(index, retriever, standing, stored_model("sentence", FEATURES)),
            composer=AnswerComposer(index, self.settings.today, standing, stored_model("polarity", POLARITY_FEATURES)),
            matcher=ProfileMatcher(index, self.encoder, self.settings.today, self.settings.match_other_audiences,
                                   self.settings.match_level_prior, standing),
            answerable=stored_model("answerable", SIGNALS),
            eligibility=EligibilityChecker(index),
        )

    @property
    def index(self) -> PolicyIndex:
        return self._loaded.index

    @property
    def retriever(self) -> HybridRetriever:
        return self._loaded.retriever

    def current(self) -> LoadedIndex:
        """The live version, reloaded first if the index directory has moved on."""
        if self.auto_reload:
            self.refresh()
        return self._loaded

    def refresh(self) -> bool:
        """Load a newer version of the index if one was saved; True if it did."""
        name = version_name(self.settings.index_dir)
        if not name or name == self._loaded.index.version:
            return False
        with self._reload_lock:
            if version_name(self.settings.index_dir) == self._loaded.index.version:
                return False
            try:
                index = load_index(self.settings.index_dir, self.settings.model)
            except IndexProblem as err:  # keep serving the version we have
                log.warning("index reload failed, still serving %s: %s", self._loaded.index.version, err)
                return False
            self._loaded = self._build(index)
            log.info("reloaded index version %s", index.version)
            return True

    @classmethod
    def open(cls, settings: Settings, build_if_missing: bool = False, show_progress: bool = False,
             encoder: Encoder | None = None) -> PolicyAssistant:
        """Load the index (building the default one from the bundled corpus if allowed and absent,
        with a progress bar if ``show_progress``) and the model, unless an already loaded
        ``encoder`` of the same model is given."""
        try:
            index = load_index(settings.index_dir, settings.model)
        except IndexNotFoundError:
            if not build_if_missing:
                raise
            log.info("no index at %s: building it from the bundled corpus", settings.index_dir)
            encoder = encoder or load_encoder(settings)
            build_index(settings, encoder=encoder, show_progress=show_progress)
            index = load_index(settings.index_dir, settings.model)
        encoder = encoder or load_encoder(settings)
        return cls(settings, index, encoder)

    def ask(self, question: str, top_k: int | None = None, filters: Filters | None = None,
            history: list[Turn] | None = None) -> Answer:
        text = validate_question(question, self.settings.max_question_chars)
        state = self.current()
        check_filters(filters, state.index)
        history = validate_history(history or [], self.settings.max_question_chars)
        if not history and is_orphan_follow_up(text):
            return Answer(question=text, answer=ORPHAN_FOLLOW_UP, abstained=True, intent=analyse_question(text).intent)
        follow = follow_up(text, history)
        resolved = check_resolved(follow.resolved, self.settings.max_question_chars)
        analysis = analyse_question(follow.text)
        answer = self._answer_profile(state, analysis) if not filters or filters.is_empty() else None
        if answer is None:
            reading = read_in_conversation(state.reader, follow, top_k or self.settings.top_k, filters)
            analysis = reading.analysis
            abstention = decide(reading, state.index, state.reader.names, state.answerable)
            assessment = None if abstention else self._assess(state, follow.text, reading)
            if assessment is not None and assessment.weighs_the_company:
                answer = eligibility_answer(follow.text, assessment, reading.analysis.intent)
            else:
                answer = state.composer.run(reading, abstention, facet_gaps(reading))
                if assessment is not None:  # nothing it stated could be weighed: the reader's answer, what to check first
                    answer = with_checks_pending(assessment, answer)
        if self.writer is not None:
            answer = self.writer.run(answer)  # falls back to the extractive answer on any failure
        return answer.model_copy(update={"question": text, "intent": analysis.intent,
                                         "resolved_question": resolved if resolved != text else None})

    def warm_up(self) -> None:
        """Ready a long-lived process: trace the question model (TRACE_QUESTIONS), then answer one
        question, so that what loads on first use (jieba's dictionary, compiled patterns: about
        1.5 s) is paid at start-up, not by the first user."""
        if self.settings.trace_questions:
            self.encoder.trace_queries()
        self.ask(WARM_UP_QUESTION)

    def search(self, query: str, top_k: int | None = None, filters: Filters | None = None) -> list[ScoredChunk]:
        """The clauses retrieved for a query, best first (no reading, no answer)."""
        text = validate_question(query, self.settings.max_question_chars)
        state = self.current()
        check_filters(filters, state.index)
        return state.retriever.run(text, top_k or self.settings.top_k, filters)

    def add_documents(self, paths: list[Path], overrides: MetadataOverrides | None = None) -> UpdateReport:
        """Add or replace documents and serve the new version at once."""
        report = add_documents(self.settings, paths, overrides, self.encoder)
        self.refresh()
        return report

    def remove_documents(self, doc_ids: list[str]) -> UpdateReport:
        """Remove documents and serve the new version at once."""
        report = remove_documents(self.settings, doc_ids, self.encoder)
        self.refresh()
        return report

    def match(self, profile: EnterpriseProfile, limit: int = 10, exclude_ended: bool = False) -> MatchResult:
        """The measures that apply to an enterprise profile (raises ProfileError for a bad location); with the
        company's figures (typed, or read from its description), each measure gets its verdict."""
        state = self.current()
        result = state.matcher.run(profile, limit=limit, exclude_ended=exclude_ended)
        figures, understood = profile_figures(profile, self.settings.today)
        if figures is not None and figures.stated():
            for measure in result.measures:
                measure.assessment = state.eligibility.run(f"{measure.chunk.heading} {measure.offer}", figures,
                                                           [measure.chunk], self.settings.today)
            result.figures_understood = understood
        return result

    def _assess(self, state: LoadedIndex, text: str, reading: Reading) -> Assessment | None:
        """"我们营收3亿元，能申请质押贴息吗？": a question stating the company's own figures and asking whether it
        qualifies is assessed against the measure read (None: it asks nothing of the kind)."""
        if not ASKS_ELIGIBILITY.search(text):
            return None
        read = read_figures(text, self.settings.today)
        if not read.figures.stated():
            return None
        return state.eligibility.run(text, read.figures, reading.clauses(), self.settings.today)

    @staticmethod
    def _answer_profile(state: LoadedIndex, analysis: QuestionAnalysis) -> Answer | None:
        """"我是淄博的专精特新企业,有什么支持?": a self-described enterprise asking broadly gets the matcher."""
        profile = profile_from_question(analysis)
        if profile is None:
            return None
        result = state.matcher.run(profile, limit=5)
        if not result.measures:
            return None
        return match_answer(analysis.text, result, state.index, analysis.intent)


def _metadata(index: PolicyIndex, doc: StoredDocument, states: dict[str, Validity]) -> dict[str, Any]:
    """Metadata with what it repeals resolved to doc_ids, and its validity (from ``validities``)."""
    return {**asdict(doc.metadata), "repeals": [asdict(r) for r in resolved_repeals(index, doc)],
            "validity": asdict(states[doc.doc_id])}


def describe_documents(index: PolicyIndex, today: date | None = None) -> list[dict[str, Any]]:
    """One row per indexed document: metadata, validity on ``today`` (pass ``Settings.today``; the real
    date if not given), section and chunk counts (CLI `docs`, API, pages)."""
    rows = []
    states = validities(index, today or date.today())
    for doc in index.documents.values():
        rows.append({"doc_id": doc.doc_id, **_metadata(index, doc, states), "sections": len(doc.sections),
                     "chunks": index.manifest["documents"].get(doc.doc_id, {}).get("chunks", 0)})
    return rows


def describe_document(index: PolicyIndex, doc_id: str, today: date | None = None) -> dict[str, Any] | None:
    """A document's metadata, cleaned text (what citation offsets refer to) and section tree; ``file``
    is where it was read from (``source`` is where its text came from, as the document says)."""
    doc = index.documents.get(doc_id)
    if doc is None:
        return None
    return {"doc_id": doc.doc_id, **_metadata(index, doc, validities(index, today or date.today())), "file": doc.source,
            "content_hash": doc.content_hash, "text": doc.text, "sections": [asdict(s) for s in doc.sections]}
