"""The reader: for each facet of a question, the clauses that may answer it and their sentences,
scored by words, answer type and retrieval rank.

A facet that names one document is read in that document only; "A和B分别…" is read once per named
document; a question naming a document and an article (``浙江专利条例第十条``) goes straight to that
article.  List questions ("哪些文件提到…") read every document.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from assistant.ingest.structure import PREAMBLE
from assistant.validity import Validity
from assistant.models import Chunk
from assistant.reading.candidates import candidates_from
from assistant.reading.features import Placement, article_of, feature_matrix
from assistant.reading.learned import LinearModel
from assistant.reading.scoring import ScoredCandidate, TermWeights, Vocabulary, score
from assistant.retrieval.retriever import Filters, HybridRetriever, ScoredChunk
from assistant.store.index import PolicyIndex
from assistant.understanding import answer_types as types
from assistant.understanding.facets import Facet, respectively
from assistant.understanding.question import QuestionAnalysis
from assistant.understanding.references import (
    DocumentName,
    PartReference,
    document_name,
    named_documents,
    part_reference,
    section_matches,
)

# clauses read per facet: the best sentence is often in a clause that retrieval ranks 7th-9th, by a
# margin of fused scores small enough that a vector moved by 3e-5 swaps it with the next one; at 8
# that reordering changed an answer (dev A23), at 10 none of 208 (bench/precision.py)
READ_DEPTH = 10
SOURCE_LINES = ("出处：", "事项：", "Source: ", "Item: ")  # the answer lines naming the documents it is from
FOLLOW_CLAUSE = 0.25  # a follow-up's sentence in the clause the part before it was answered from
FOLLOW_DOCUMENT = 0.15  # … in that clause's document
LOCAL_DOCUMENT = 0.2  # a sentence of a document of the place the question is asked from
NATIONAL_NAMES = frozenset({"国家", "全国", "国务院"})
OUTDATED_RANK = 3  # Validity.rank from which a document no longer applies (superseded, expired, repealed) …
OUTDATED = 0.3  # … and its sentences count this much less, unless the question names it


@dataclass(frozen=True)
class DirectReference:
    doc_id: str
    part: PartReference
    chunks: tuple[Chunk, ...]  # empty: the document has no such part


@dataclass
class FacetReading:
    facet: Facet
    hits: list[ScoredChunk]
    terms: TermWeights
    ranked: list[ScoredCandidate] = field(default_factory=list)  # best first
    anchor: Chunk | None = None  # for a follow-up: the clause the part before it was answered from
    placement: Placement | None = None  # what the sentence features were computed with
    learned: bool = False  # True: ``score`` is the learned probability that the sentence answers the facet
    vector: np.ndarray | None = field(default=None, repr=False)  # the facet's embedding, when it was made
    threshold: float = 0.0  # learned: a best sentence less likely than this does not answer the facet
    retrieved: bool = True  # read from retrieved clauses (not a named part, not the documents naming a word)

    def continues(self, scored: ScoredCandidate) -> bool:
        """True if a sentence sits in the clause this follow-up continues from."""
        return self.anchor is not None and scored.candidate.chunk.chunk_id == self.anchor.chunk_id

    @property
    def best(self) -> ScoredCandidate | None:
        return self.ranked[0] if self.ranked else None

    @property
    def rule_best(self) -> ScoredCandidate | None:
        """The best sentence by the hand-set score (what the rules judged, learned or not)."""
        if not self.learned:
            return self.best
        return max(self.ranked, key=lambda s: (s.rule or 0.0), default=None)


@dataclass
class Reading:
    analysis: QuestionAnalysis
    facets: list[FacetReading]
    reference: DirectReference | None = None
    top_k: int = 5  # citations the caller asked for

    @property
    def hits(self) -> list[ScoredChunk]:
        """Every facet's clauses, interleaved by rank, each once."""
        seen: set[str] = set()
        merged = []
        depth = max((len(f.hits) for f in self.facets), default=0)
        for rank in range(depth):
            for reading in self.facets:
                if rank < len(reading.hits) and reading.hits[rank].chunk.chunk_id not in seen:
                    seen.add(reading.hits[rank].chunk.chunk_id)
                    merged.append(reading.hits[rank])
        return merged

    def clauses(self) -> list[Chunk]:
        """The clauses read, best first: those of the facets' best sentences in their order, then the rest of
        the hits, each once."""
        ordered = [s.candidate.chunk for f in self.facets for s in f.ranked] + [h.chunk for h in self.hits]
        return list({c.chunk_id: c for c in ordered}.values())


class Reader:
    def __init__(self, index: PolicyIndex, retriever: HybridRetriever, standing: dict[str, Validity] | None = None,
                 sentence_model: LinearModel | None = None):
        self.index = index
        self.retriever = retriever
        # the learned sentence scorer (reader_model.json, bench/train_reader.py); None: the hand-set score
        self.sentence_model = sentence_model
        # documents that no longer apply (repealed, replaced, expired) are read after what replaced them
        self.outdated = frozenset(d for d, v in (standing or {}).items() if v.rank >= OUTDATED_RANK)
        self.vocabulary = Vocabulary(*index.clause_bigrams())
        self.names: list[DocumentName] = [
            document_name(d.doc_id, d.metadata.title, d.metadata.jurisdiction, d.metadata.jurisdiction_full,
                          d.metadata.number)
            for d in index.documents.values()
        ]

    # -- entry point ------------------------------------------------------------------------
    def run(self, analysis: QuestionAnalysis, top_k: int = 5, filters: Filters | None = None) -> Reading:
        filters = filters or Filters()
        named = [d for d in named_documents(analysis.text, self.names) if self._allowed(d, filters)]
        reference = self.direct_reference(analysis.text, named)
        facets = self._facets(analysis, named)
        local = self._local_documents(analysis)
        readings: list[FacetReading] = []
        for facet in facets:
            query, facet_analysis = self._query(facet, analysis)
            listing = facet.kind.form == types.DOCUMENT_LIST  # "哪些文件提到…": every document naming it
            retrieving = reference is None and not listing
            vector = self.retriever.embed(facet_analysis) if retrieving or self.sentence_model is not None else None
            if reference is not None:
                hits = [ScoredChunk(c, 1.0, None, None) for c in reference.chunks]
            elif listing:
                hits = self.across_documents(facet, analysis, filters)
            else:
                hits = self._retrieve(facet, query, facet_analysis, max(top_k, READ_DEPTH), filters, vector)
            anchor = self._anchor(facet, readings[-1] if readings else None, analysis)
            if anchor is not None and all(h.chunk.chunk_id != anchor.chunk_id for h in hits):
                hits = [*hits, ScoredChunk(anchor, 0.0, None, None)]
            # the learned scorer was trained on retrieved clauses; a named part or the documents naming
            # a word are read by the hand-set score
            reading = self.read(facet, hits, self._place_names(analysis), anchor, local, vector, learn=retrieving)
            readings.append(replace(reading, retrieved=retrieving))
        return Reading(analysis, readings, reference, top_k)

    def read(self, facet: Facet, hits: list[ScoredChunk], places: tuple[str, ...] = (),
             anchor: Chunk | None = None, local: frozenset[str] = frozenset(),
             vector: np.ndarray | None = None, learn: bool = True) -> FacetReading:
        """Score every sentence of the clauses read; ``anchor`` is the clause the part before a
        follow-up was answered from ("罚多少? 没有违法所得的呢?" is usually answered next to it);
        ``local`` are the documents of the place the question is asked from; ``vector`` is the facet's
        embedding, weighed against each sentence's own vector (store/sentences.py)."""
        terms = self.vocabulary.terms(facet, places)
        ranked = [score(c, facet, terms, self._title(c.chunk)) for c in candidates_from(hits)]
        ranked = [replace(s, score=s.score + self._placement(s.candidate.chunk, facet, anchor)
                          + (LOCAL_DOCUMENT if s.candidate.chunk.doc_id in local else 0.0)
                          - (OUTDATED if s.candidate.chunk.doc_id in self.outdated and facet.doc_id is None else 0.0))
                  for s in ranked]
        placement = Placement(facet, terms, anchor.chunk_id if anchor else None, anchor.doc_id if anchor else None,
                              local, self.outdated if facet.doc_id is None else frozenset(),
                              tuple((h.score, h.dense_rank, h.bm25_rank) for h in hits),
                              article_of(anchor.section) if anchor else None)
        learned = learn and self.sentence_model is not None and bool(ranked)
        if learned:
            rows = feature_matrix(ranked, [s.score for s in ranked], placement, self.similarities(ranked, vector))
            ranked = [replace(s, score=float(p), rule=s.score)
                      for s, p in zip(ranked, self.sentence_model.predict_proba(rows))]
        ranked.sort(key=lambda s: -s.score)
        threshold = self.sentence_model.threshold if learned else 0.0
        if learned and facet.doc_id is None:
            ranked = self._standing_first(ranked, threshold, local)
        return FacetReading(facet, hits, terms, ranked, anchor, placement, learned, vector, threshold)

    def _standing_first(self, ranked: list[ScoredCandidate], threshold: float,
                        local: frozenset[str]) -> list[ScoredCandidate]:
        """Among sentences that answer (learned probability at or above the threshold): those of the
        place the question is asked from first ("武汉的公司…" reads the Wuhan plan first), then those of
        documents that still apply; the learned order within each group."""
        def group(s: ScoredCandidate) -> tuple[bool, bool]:
            doc_id = s.candidate.chunk.doc_id
            return (bool(local) and doc_id not in local, doc_id in self.outdated)

        answering = [s for s in ranked if s.score >= threshold]
        if not answering or len({group(s) for s in answering}) == 1:
            return ranked
        return sorted(answering, key=group) + [s for s in ranked if s.score < threshold]

    def similarities(self, ranked: list[ScoredCandidate], vector: np.ndarray | None) -> np.ndarray | None:
        """Cosine of the facet's vector with each sentence's stored vector (NaN where none is stored)."""
        if vector is None:
            return None
        keys = [(s.candidate.chunk.doc_id, s.candidate.start, s.candidate.end) for s in ranked]
        vectors, found = self.index.sentence_lookup.vectors(keys)
        similarity = vectors @ np.asarray(vector, dtype=np.float32) if len(vectors) else np.zeros(0)
        return np.where(found, similarity, np.nan)

    @staticmethod
    def _placement(chunk: Chunk, facet: Facet, anchor: Chunk | None) -> float:
        """Where a sentence sits: the title and adoption lines answer only "when"; a follow-up is
        answered first from the clause, then the document, of the part it follows."""
        bonus = -0.3 if chunk.section == PREAMBLE and not facet.kind.title_block else 0.0
        if anchor is not None:
            bonus += FOLLOW_CLAUSE if chunk.chunk_id == anchor.chunk_id else FOLLOW_DOCUMENT if chunk.doc_id == anchor.doc_id else 0.0
        return bonus

    def _local_documents(self, analysis: QuestionAnalysis) -> frozenset[str]:
        """Documents of a place the question names below the national level ("浦东中小企业…" ->
        the Pudong regulation): a user asking from a place wants its own rules first."""
        text = analysis.text
        return frozenset(name.doc_id for name in self.names
                         if any(p in text for p in name.places) and not set(name.places) & NATIONAL_NAMES)

    def _anchor(self, facet: Facet, previous: FacetReading | None, analysis: QuestionAnalysis) -> Chunk | None:
        """The clause a follow-up facet continues from: the previous facet's best sentence's, when
        the follow-up borrowed that facet's words and names no document or place of its own."""
        if previous is None or previous.best is None or not facet.context or facet.doc_id:
            return None
        if any(p in facet.text for p in self._place_names(analysis)):
            return None
        return previous.best.candidate.chunk

    # -- question parts ---------------------------------------------------------------------
    def _facets(self, analysis: QuestionAnalysis, named: list[str]) -> list[Facet]:
        facets = list(analysis.facets)
        if len(named) >= 2 and respectively(analysis.text) and len(facets) == 1:
            # "广东条例和浙江条例分别怎么规定…": the same facet, once per named document
            return [replace(facets[0], doc_id=doc_id) for doc_id in named]
        with_docs = []
        for facet in facets:
            own = [d for d in named_documents(facet.text, self.names) if d in named] if len(named) > 1 else named
            with_docs.append(replace(facet, doc_id=own[0] if len(own) == 1 else None))
        return with_docs

    def documents_of_turn(self, question: str, answer: str) -> frozenset[str]:
        """The documents an earlier turn was about: those its question names, else those its answer
        gives as its sources (the 出处/事项 lines, Source/Item in English), which a follow-up reads in."""
        named = named_documents(question, self.names)
        if named:
            return frozenset(named)
        sources = "\n".join(line for line in answer.splitlines() if line.startswith(SOURCE_LINES))
        return frozenset(d.doc_id for d in self.index.documents.values() if f"《{d.metadata.title}》" in sources)

    def direct_reference(self, question: str, named: list[str]) -> DirectReference | None:
        part = part_reference(question)
        if part is None or len(named) != 1:
            return None
        doc_id = named[0]
        chunks = tuple(c for c in self.index.chunks_of(doc_id) if section_matches(c.section, part))
        return DirectReference(doc_id, part, chunks)

    def _place_names(self, analysis: QuestionAnalysis) -> tuple[str, ...]:
        """Place names the question uses (they constrain the document, they are no topic words)."""
        names = {p.name for p in analysis.places}
        for name in self.names:
            names.update(p for p in name.places if p in analysis.text)
        return tuple(names)

    def _allowed(self, doc_id: str, filters: Filters) -> bool:
        if filters.doc_ids and doc_id not in filters.doc_ids:
            return False
        jurisdiction = self.index.documents[doc_id].metadata.jurisdiction
        return not filters.jurisdictions or jurisdiction in filters.jurisdictions

    def _title(self, chunk: Chunk) -> str:
        return self.index.documents[chunk.doc_id].metadata.title

    # -- retrieval --------------------------------------------------------------------------
    def _query(self, facet: Facet, analysis: QuestionAnalysis) -> tuple[str, QuestionAnalysis]:
        """What a facet is searched with: its words, with the question's places ("广东…谁来管? 著作权又归谁":
        the second part is still about 广东), and the question's analysis for that text."""
        query = facet.query
        places = [p.name for p in analysis.places if p.name not in query]
        if places:
            query = " ".join(places) + " " + query
        return query, analysis.for_part(query)

    def _retrieve(self, facet: Facet, query: str, facet_analysis: QuestionAnalysis, depth: int, filters: Filters,
                  vector: np.ndarray | None = None) -> list[ScoredChunk]:
        if facet.doc_id:
            filters = Filters(doc_ids=frozenset({facet.doc_id}), jurisdictions=filters.jurisdictions)
        return self.retriever.run(query, depth, filters, analysis=facet_analysis, vector=vector)

    def across_documents(self, facet: Facet, analysis: QuestionAnalysis, filters: Filters) -> list[ScoredChunk]:
        """"哪些文件提到…": the best clause of every document that uses the facet's rarest words."""
        terms = self.vocabulary.terms(facet, self._place_names(analysis))
        key = sorted(terms.weights, key=lambda t: -terms.weights[t])[:2]
        best: dict[str, tuple[float, Chunk]] = {}
        for _, chunk in self.index.live_chunks():
            if not self._allowed(chunk.doc_id, filters) or not key:
                continue
            if not all(t in chunk.text for t in key[:1]):
                continue
            value = terms.coverage(chunk.text)
            if value > best.get(chunk.doc_id, (0.0, chunk))[0]:
                best[chunk.doc_id] = (value, chunk)
        ranked = sorted(best.values(), key=lambda item: -item[0])
        if not ranked:
            query, facet_analysis = self._query(facet, analysis)
            return self._retrieve(facet, query, facet_analysis, READ_DEPTH, filters)
        return [ScoredChunk(chunk, round(value, 6), None, None) for value, chunk in ranked[:8]]

