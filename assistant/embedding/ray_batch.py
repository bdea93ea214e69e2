"""Passage embedding as a Ray Data job, for batch ingest of a corpus too large for one machine.

The passages go through ``ray.data.from_items`` → ``map_batches`` with a class-based function: each
actor loads the model once, through the project's own :class:`Encoder`, so the vectors are exactly
the ones a local ingest computes.  Ray is an optional extra (``pip install -e '.[ray]'``); it starts
in this process for the job (local, ``num_cpus`` = actors × threads) unless ``RAY_ADDRESS`` names a
cluster, and a session that was already running (a test, a notebook) is used as it is and left up.

:class:`RayEncoder` has the interface of :class:`Encoder`: passages are embedded by the Ray job,
queries (the need vectors of tagging, questions) by the local encoder it wraps.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.embedding.encoder import Encoder
from assistant.runtime import limit_threads


log = logging.getLogger(__name__)

INSTALL_HINT = "pip install -e '.[ray]'"


class RayUnavailableError(RuntimeError):
    """The ray backend was asked for but Ray is not installed, or the cluster cannot be reached."""


@dataclass(frozen=True)
class RayJobConfig:
    """How the embedding job runs: where, on how many actors, in what batches."""

    model: str
    cache_dir: Path
    encode_batch: int  # the encoder's own batch (sentence-transformers), as in a local ingest
    address: str | None = None  # None: a local Ray in this process; else ray.init(address=...)
    actors: int = 1
    rows_per_batch: int = 64  # passages handed to an actor per call
    threads: int = 1  # compute threads per actor (assistant/runtime.py)

    def __post_init__(self) -> None:
        if self.actors < 1 or self.rows_per_batch < 1 or self.threads < 1 or self.encode_batch < 1:
            raise ValueError(f"actors, rows per batch, threads and encoder batch must be at least 1: {self}")



def require_ray() -> None:
    """Raise the user-facing error (Chinese, with the install command) when Ray is not installed."""
    if importlib.util.find_spec("ray") is None:
        raise RayUnavailableError(f"未安装 Ray：用 Ray 计算向量（ingest --ray 或 POLICY_ASSISTANT_EMBED_BACKEND=ray）"
                                  f"需要先安装可选依赖：{INSTALL_HINT}")


class PassageEmbedder:
    """The Ray Data function: one per actor, the model loaded once in its constructor."""

    def __init__(self, model: str, cache_dir: str, encode_batch: int, threads: int):
        limit_threads(threads)  # before torch is imported in this worker process
        self.encoder = Encoder(model, Path(cache_dir), encode_batch)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.encoder.encode_passages([str(text) for text in batch["text"]])
        return {"position": np.asarray(batch["position"], dtype=np.int64), "vector": vectors}


def _connect(config: RayJobConfig, show_progress: bool) -> bool:
    """Start or join Ray for one job; True when this call started it (and so must shut it down)."""
    import ray

    if ray.is_initialized():
        return False
    quiet = {"include_dashboard": False, "log_to_driver": show_progress, "logging_level": logging.WARNING}
    try:
        if config.address:
            ray.init(address=config.address, **quiet)
        else:
            ray.init(num_cpus=config.actors * config.threads, **quiet)
    except Exception as err:  # noqa: BLE001 - any failure to start or reach Ray means the same to the user
        where = f"Ray 集群 {config.address}" if config.address else "本机的 Ray"
        raise RayUnavailableError(f"无法启动或连接{where}（{err.__class__.__name__}: {err}）") from err
    return True


def embed_passages(texts: list[str], config: RayJobConfig, dimension: int,
                   show_progress: bool = False) -> np.ndarray:
    """Embed ``texts`` with passage prompts as a Ray Data job; float32 rows in input order."""
    require_ray()
    if not texts:
        return np.zeros((0, dimension), dtype=np.float32)
    import ray

    started = _connect(config, show_progress)
    try:
        dataset = ray.data.from_items([{"position": i, "text": text} for i, text in enumerate(texts)])
        dataset.context.enable_progress_bars = show_progress
        dataset.context.print_on_execution_start = show_progress
        embedded = dataset.map_batches(
            PassageEmbedder,
            fn_constructor_kwargs={"model": config.model, "cache_dir": str(config.cache_dir),
                                   "encode_batch": config.encode_batch, "threads": config.threads},
            batch_size=config.rows_per_batch,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=config.actors),
            num_cpus=config.threads,
        )
        out = np.empty((len(texts), dimension), dtype=np.float32)
        seen = np.zeros(len(texts), dtype=bool)
        try:
            for batch in embedded.iter_batches(batch_size=None, batch_format="numpy"):
                positions = batch["position"]
                out[positions] = batch["vector"]
                seen[positions] = True
        except ray.exceptions.RayError as err:  # an actor failed (model not loadable on a node, out of memory…)
            reason = (str(err).strip().splitlines() or [err.__class__.__name__])[-1]
            raise RayUnavailableError(f"Ray 向量计算作业失败：{reason}") from err
    finally:
        if started:
            ray.shutdown()
    if not seen.all():
        raise RuntimeError(f"the Ray job returned {int(seen.sum())} of {len(texts)} passages")
    return out


class RayEncoder:
    """An :class:`Encoder` whose passages are embedded by a Ray Data job (batch ingest); queries,
    the model id and the dimension come from the local encoder it wraps."""

    def __init__(self, local: Encoder, config: RayJobConfig):
        require_ray()
        if config.model != local.model_id:
            raise ValueError(f"the Ray job's model {config.model!r} is not the local encoder's {local.model_id!r}")
        self.local = local
        self.config = config

    @property
    def model_id(self) -> str:
        return self.local.model_id

    @property
    def batch_size(self) -> int:
        return self.local.batch_size

    @property
    def dimension(self) -> int:
        return self.local.dimension

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return embed_passages(texts, self.config, self.dimension, show_progress)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.local.encode_queries(texts)
