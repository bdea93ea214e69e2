"""Process set-up, the one place where compute threads are decided: every process that answers
(CLI, each server worker, the MCP server) calls ``limit_threads(settings.threads)`` before torch
or FAISS do any work.

The OpenMP/BLAS runtimes read their thread counts from the environment when they are first
loaded, so the variables are set here before those libraries are imported; libraries already
imported are told directly.  One intra-op thread per process keeps a query embedding from
fighting its neighbours for cores: on a 2-core machine with other work running, torch's default
(a thread per core) made a 20 ms embedding take seconds (issue 11).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS")


@dataclass(frozen=True)
class ThreadCounts:
    """The compute threads this process uses; None where the library is not loaded yet."""

    environment: dict[str, str | None]
    torch: int | None
    torch_interop: int | None
    faiss: int | None


def limit_threads(threads: int) -> None:
    """Use ``threads`` compute threads in torch, FAISS and the BLAS/OpenMP runtimes of this process
    and of the processes it starts (they inherit the environment)."""
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(threads)
        except RuntimeError:  # only possible before torch's first parallel work; intra-op is what counts
            pass
    faiss = sys.modules.get("faiss")
    if faiss is not None:
        faiss.omp_set_num_threads(threads)


def thread_counts() -> ThreadCounts:
    """What this process actually uses (for tests and the ready line)."""
    torch = sys.modules.get("torch")
    faiss = sys.modules.get("faiss")
    return ThreadCounts(
        environment={variable: os.environ.get(variable) for variable in THREAD_VARIABLES},
        torch=torch.get_num_threads() if torch is not None else None,
        torch_interop=torch.get_num_interop_threads() if torch is not None else None,
        faiss=faiss.omp_get_max_threads() if faiss is not None else None,
    )


SERVING_LOGGER = "assistant.serving"  # the start-up lines an operator always sees (URL, ready)


def server_log_config(verbose: bool) -> dict:
    """uvicorn's logging for `serve`: its own start lines (the URL, each worker process) and the
    assistant's ready line always shown; request lines and progress details only with -v."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["assistant"] = {"handlers": ["default"], "level": "INFO" if verbose else "WARNING",
                                      "propagate": False}
    config["loggers"][SERVING_LOGGER] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
