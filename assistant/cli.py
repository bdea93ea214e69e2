"""Command line: ingest, add, remove, ask, chat, match, serve, mcp, feedback, docs, doc, eval, match-eval.

Imports are made where a command needs them: `--help` and `ask --server URL` never import torch,
FAISS or FastAPI (`python -X importtime -m assistant --help` shows what is loaded).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from assistant.ingest.overrides import MetadataOverrides
    from assistant.models import Answer, Turn
    from assistant.retrieval.retriever import Filters
    from assistant.service import PolicyAssistant
    from assistant.settings import Settings
    from assistant.terminal import Answerer

EXIT_USAGE = 2
EXIT_FAILURE = 1
WORKER_HEALTHCHECK_SECONDS = 60  # a worker importing torch on a busy machine must not be taken for hung
# Failures reported in one line with their exit status, named by module so that naming them costs
# no import: an error can only come from a module that was imported (looked up in sys.modules).
EXPECTED_ERRORS = (
    ("assistant.limits", "QuestionError", EXIT_USAGE),
    ("assistant.store.updater", "UpdateError", EXIT_USAGE),
    ("assistant.store.index", "IndexProblem", EXIT_FAILURE),
    ("assistant.embedding.encoder", "ModelLoadError", EXIT_FAILURE),
    ("assistant.evaluation", "GoldFileError", EXIT_FAILURE),
    ("assistant.ingest.reader", "UnreadableFileError", EXIT_FAILURE),
    ("assistant.remote", "ServerUnavailable", EXIT_FAILURE),
    ("assistant.embedding.ray_batch", "RayUnavailableError", EXIT_FAILURE),
    ("builtins", "FileNotFoundError", EXIT_FAILURE),
)


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_FAILURE):
        super().__init__(message)
        self.code = code


def _settings(args: argparse.Namespace) -> Settings:
    from assistant.settings import Settings

    overrides: dict[str, Any] = {}
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index)
    if getattr(args, "ray", False):
        overrides["embed_backend"] = "ray"
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as err:  # a bad POLICY_ASSISTANT_* variable: name it, not a traceback
        problems = "；".join(f"POLICY_ASSISTANT_{'_'.join(map(str, e['loc'])).upper()}={e.get('input')!r}：{e['msg']}"
                            for e in err.errors())
        raise CliError(f"设置无效：{problems}", EXIT_USAGE) from None


def _dump(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=None))


def _filters(args: argparse.Namespace) -> Filters:
    from assistant.retrieval.retriever import Filters

    return Filters(doc_ids=frozenset(args.doc or []), jurisdictions=frozenset(args.jurisdiction or []))


def _announce_build(settings: Settings, build_if_missing: bool) -> bool:
    """True, with a note on stderr, when the default index is about to be built (about a minute:
    never silently)."""
    from assistant.store.index import version_name

    if not build_if_missing or version_name(settings.index_dir) is not None:
        return False
    print(f"还没有索引：正在用内置语料建立 {settings.index_dir}（首次需要约一分钟，进度如下）…", file=sys.stderr)
    return True


def _open(settings: Settings, build_if_missing: bool) -> PolicyAssistant:
    """The assistant in this process; a first index is built with its progress shown."""
    from assistant.service import PolicyAssistant

    building = _announce_build(settings, build_if_missing)
    return PolicyAssistant.open(settings, build_if_missing=build_if_missing, show_progress=building)


def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.service import build_index

    settings = _settings(args)
    paths = [Path(p) for p in args.paths] or None
    report = build_index(settings, paths, show_progress=not args.quiet)
    for failure in report.result.failures:
        print(f"skipped: {failure}", file=sys.stderr)
    if report.merged:
        print(f"kept, added while this ingest ran: {', '.join(report.merged)}", file=sys.stderr)
    print(
        f"indexed {report.documents} documents, {report.chunks} chunks into {report.index_dir} "
        f"in {report.seconds:.1f}s ({report.chunks / max(report.seconds, 1e-9):.1f} chunks/s)"
    )
    return 0


def _overrides(args: argparse.Namespace) -> MetadataOverrides | None:
    from pydantic import ValidationError

    from assistant.ingest.overrides import LEGAL_FLAGS, MetadataOverrides

    fields = {name: getattr(args, name) for name in ("title", "issuer", "number", "date", "jurisdiction", "period",
                                                     "supersedes", *LEGAL_FLAGS) if getattr(args, name, None)}
    if not fields:
        return None
    if len(args.paths) != 1 or Path(args.paths[0]).is_dir():
        raise CliError("metadata flags describe one document: give exactly one file (or use NAME.meta.json "
                       "sidecar files)", EXIT_USAGE)
    try:
        return MetadataOverrides(**fields)
    except ValidationError as err:
        raise CliError("; ".join(f"--{e['loc'][0]}: {e['msg'].removeprefix('Value error, ')}" for e in err.errors()),
                       EXIT_USAGE) from None


def cmd_add(args: argparse.Namespace) -> int:
    """Add or replace documents without a rebuild."""
    from assistant.service import add_documents

    settings = _settings(args)
    overrides = _overrides(args)
    report = add_documents(settings, [Path(p) for p in args.paths], overrides)
    for failure in report.failures:
        print(f"skipped: {failure}", file=sys.stderr)
    print(report.summary())
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Remove documents by id without a rebuild."""
    from assistant.service import remove_documents

    report = remove_documents(_settings(args), args.doc_ids)
    print(report.summary())
    return 0


def _print_answer(answer: Answer, as_json: bool, answerer: Answerer) -> None:
    """--json: the answer contract (offsets included); otherwise the text with `《short title》 section` sources."""
    from assistant.terminal import format_answer

    if as_json:
        _dump(answer.model_dump())
    else:
        print(format_answer(answer, answerer.short_titles()))


def _history(path: str | None) -> list[Turn]:
    """Prior turns from a JSON file: [{"question": ..., "answer": ...}, ...]."""
    from assistant.models import Turn

    if not path:
        return []
    try:
        rows = json.loads(Path(path).read_text(encoding="utf-8"))
        return [Turn(**row) for row in rows]
    except (OSError, ValueError, TypeError) as err:
        raise CliError(f"--history {path}: expected a JSON list of {{question, answer}} objects ({err})",
                       EXIT_USAGE) from err


def _server(args: argparse.Namespace, settings: Settings) -> str | None:
    """The server that answers: --server, else POLICY_ASSISTANT_SERVER unless --local or --index
    (a local index) is given; None = answer in this process."""
    if args.server and (args.local or args.index):
        raise CliError("--server 不能与 --local 或 --index 同时使用：服务器用它自己的索引回答", EXIT_USAGE)
    if args.server:
        return args.server
    return None if args.local or args.index else settings.server


def _answerer(args: argparse.Namespace, settings: Settings) -> Answerer:
    """A running server when one is configured (no model loaded here), else the assistant in this
    process; either way with the command's --doc, --jurisdiction and --k."""
    server = _server(args, settings)
    if server:
        from assistant.remote import RemoteAssistant

        return RemoteAssistant(server, settings.server_timeout, args.k, frozenset(args.doc or []),
                               frozenset(args.jurisdiction or []))
    from assistant.service import check_filters
    from assistant.terminal import LocalAssistant

    assistant = _open(settings, build_if_missing=not args.index)
    filters = _filters(args)
    check_filters(filters, assistant.index)  # an unknown --doc / --jurisdiction lists the known ones
    return LocalAssistant(assistant, filters, args.k)


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.limits import QuestionError, validate_question

    settings = _settings(args)
    history = _history(args.history)
    if args.question != "-":
        validate_question(args.question, settings.max_question_chars)  # fail before loading anything
    answerer = _answerer(args, settings)
    if args.question != "-":
        _print_answer(answerer.ask(args.question, history), args.json, answerer)
        return 0
    status = 0
    for number, line in enumerate(sys.stdin, start=1):  # one question a line, one JSON answer a line
        if not line.strip():
            continue
        try:
            _dump(answerer.ask(line).model_dump())
        except QuestionError as err:
            _dump({"question": line.strip()[:200], "error": f"line {number}: {err}"})
            status = EXIT_USAGE
        sys.stdout.flush()
    return status


def cmd_chat(args: argparse.Namespace) -> int:
    """An interactive conversation in the terminal; follow-ups use the earlier turns."""
    from assistant.terminal import ChatSession, line_reader

    settings = _settings(args)
    answerer = _answerer(args, settings)
    read_line = line_reader(settings.cache_dir / "chat-history", sys.stdin, sys.stdout)
    return ChatSession(answerer, print).run(read_line)


def _split(values: list[str] | None) -> list[str]:
    return [v for value in values or [] for v in re.split(r"[,，、]", value) if v.strip()]


def cmd_match(args: argparse.Namespace) -> int:
    """Measures that apply to an enterprise profile."""
    from pydantic import ValidationError

    from assistant.eligibility.figures import CompanyFigures, parse_money
    from assistant.matching.matcher import EnterpriseProfile, ProfileError
    from assistant.matching.presenter import match_text, match_to_dict

    try:
        typed = {name: parse_money(value) for name, value in (("revenue_yuan", args.revenue),
                                                               ("rd_spend_yuan", args.rd_spend)) if value}
        typed.update({name: value for name, value in (("employees", args.employees),
                                                      ("invention_patents", args.invention_patents),
                                                      ("registered_on", args.registered)) if value is not None})
        if args.qualifications:
            typed["qualifications"] = _split(args.qualifications)
        profile = EnterpriseProfile(location=args.location, traits=_split(args.traits), needs=_split(args.needs),
                                    figures=CompanyFigures(**typed) if typed else None, description=args.company)
    except ValidationError as err:
        raise CliError("; ".join(e["msg"].removeprefix("Value error, ") for e in err.errors()), EXIT_USAGE) from None
    except ValueError as err:  # a sum that is no number
        raise CliError(str(err), EXIT_USAGE) from None
    settings = _settings(args)
    assistant = _open(settings, build_if_missing=not args.index)
    try:
        result = assistant.match(profile, limit=args.limit, exclude_ended=args.exclude_ended)
    except ProfileError as err:
        raise CliError(str(err), EXIT_USAGE) from None
    if args.json:
        _dump(match_to_dict(result, assistant.index))
    else:
        print(match_text(result, assistant.index))
    return 0


def cmd_match_eval(args: argparse.Namespace) -> int:
    """Score the matcher against hand-labelled profiles."""
    from assistant.matching.evaluation import evaluate_matcher, load_audiences, load_cases

    try:
        cases = load_cases(Path(args.file), args.corpus)
        audiences = load_audiences(Path(args.audience)) if args.audience else {}
    except (OSError, ValueError) as err:
        raise CliError(str(err), EXIT_USAGE) from None
    assistant = _open(_settings(args), build_if_missing=not args.index)
    report = evaluate_matcher(lambda profile, k: assistant.match(profile, limit=k), assistant.index, cases, args.k,
                              audiences)
    if args.json:
        _dump(report.to_dict())
    else:
        print(report.summary())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """The HTTP API and web chat in N worker processes sharing one listening socket; each loads
    the model and the read-only index once and follows new index versions by itself."""
    import uvicorn

    from assistant.runtime import server_log_config
    from assistant.api.server_options import uvicorn_options
    from assistant.store.index import load_index, version_name

    settings = _settings(args)
    workers = args.workers or settings.workers
    if _announce_build(settings, build_if_missing=not args.index):  # once here, never by each worker
        from assistant.service import build_index

        build_index(settings, show_progress=True)
    elif version_name(settings.index_dir) is None:
        load_index(settings.index_dir, settings.model)  # raises the error that says how to build it
    # workers are fresh processes: they read their settings from the environment they inherit
    os.environ["POLICY_ASSISTANT_INDEX_DIR"] = str(settings.index_dir.resolve())
    os.environ["POLICY_ASSISTANT_WORKERS"] = str(workers)
    print(f"policy-assistant: serving http://{args.host}:{args.port}/ with {workers} worker process(es), "
          f"{settings.threads} compute thread(s) each; index {settings.index_dir}", file=sys.stderr, flush=True)
    uvicorn.run("assistant.api.app:create_worker_app", factory=True, host=args.host, port=args.port, workers=workers,
                log_config=server_log_config(args.verbose), access_log=args.verbose,
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS, http="assistant.api.nodelay:NoDelayHTTPProtocol",
                **uvicorn_options(settings))
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    """The assistant as an MCP server: stdio (default) or streamable HTTP at http://HOST:PORT/mcp."""
    from assistant.mcp_server import serve

    assistant = _open(_settings(args), build_if_missing=not args.index)
    if args.http:
        print(f"MCP server (streamable HTTP) at http://{args.host}:{args.port}/mcp", file=sys.stderr)
    serve(assistant, http=args.http, host=args.host, port=args.port)
    return 0


def cmd_feedback(args: argparse.Namespace) -> int:
    """Feedback users left on answers, for the operator."""
    from assistant.feedback import FeedbackStore
    from assistant.limits import escape_controls, escape_controls_json

    settings = _settings(args)
    path = settings.data_dir / "feedback.sqlite3"
    records = FeedbackStore(path).all() if path.exists() else []
    if args.json:  # JSON escapes C0 controls itself; C1 controls and bidi overrides are escaped too
        print(escape_controls_json(json.dumps([asdict(r) for r in records], ensure_ascii=False)))
    else:  # users wrote this text: control characters are shown, never sent to the terminal
        for r in records:
            comment = f" — {escape_controls(r.comment)}" if r.comment else ""
            print(f"#{r.id} {r.created} {'👍' if r.rating == 'up' else '👎'} {escape_controls(r.question)}{comment}")
        if not records:
            print(f"no feedback yet ({path})")
    return 0


def _load(args: argparse.Namespace):
    from assistant.store.index import load_index

    settings = _settings(args)
    return load_index(settings.index_dir, settings.model)


def cmd_docs(args: argparse.Namespace) -> int:
    from assistant.service import describe_documents

    rows = describe_documents(_load(args), _settings(args).today)
    if args.json:
        _dump(rows)
    else:
        for row in rows:
            period = row["period"]["label"] if row["period"] else "—"
            title = row["title"] + ("（标题系推断，请用 --title 或 .meta.json 设置）" if row["title_inferred"] else "")
            status = row["validity"]["label"] or "现行有效"
            print(f"{row['doc_id']}\t{title}\t{row['jurisdiction'] or '—'}\t{period}\t{status}\t{row['chunks']} chunks")
    return 0


def cmd_doc(args: argparse.Namespace) -> int:
    from assistant.service import describe_document

    index = _load(args)
    data = describe_document(index, args.doc_id, _settings(args).today)
    if data is None:
        known = ", ".join(sorted(index.documents))
        raise CliError(f"no document '{args.doc_id}' in the index; known ids: {known}", EXIT_USAGE)
    if args.json:
        _dump(data)
    else:
        print(f"{data['title']}\n{data['issuer'] or ''} {data['number'] or ''} {data['date'] or ''}\n")
        print(data["text"])
    return 0


CHECKOUT = Path(__file__).resolve().parents[1]  # the source checkout (bench/ lives there)
DEFAULT_GOLD = (CHECKOUT.parent / "shared" / "eval" / "dev.jsonl", CHECKOUT / "bench" / "dev_unseen.jsonl",
                CHECKOUT / "bench" / "dev_holdout.jsonl")
DEFAULT_EVAL_CORPUS = CHECKOUT.parent / "shared" / "corpus" / "extra"


def cmd_eval(args: argparse.Namespace) -> int:
    """Score one or more gold files; each is asked of the index that holds its documents: the
    index given (or the default one), else an evaluation index of the bundled corpus plus
    ``--corpus`` (built once into the data directory)."""
    from assistant.evaluation import evaluate, gold_documents, load_gold, side_by_side

    settings = _settings(args)
    files = [Path(f) for f in args.files] or [f for f in DEFAULT_GOLD if f.exists()]
    if not files:
        raise CliError("no gold file given and none of the default ones exists", EXIT_USAGE)
    gold = {f: load_gold(f) for f in files}
    main = _open(settings, build_if_missing=not args.index)
    wider = None
    reports = {}
    for file, items in gold.items():
        assistant = main
        if not gold_documents(items) <= set(main.index.documents):
            wider = wider or _evaluation_index(settings, [Path(c) for c in args.corpus] or [DEFAULT_EVAL_CORPUS],
                                               args.rebuild)
            assistant = wider
        report = evaluate(assistant.index, items,
                          lambda q, h, a=assistant: a.ask(q, max(args.k, settings.top_k), history=h), args.k)
        reports[file.stem] = report
        if not args.json:
            print(f"== {file} ({len(assistant.index.documents)} documents in the index)")
            _print_report(report, args.k)
            print()
    if args.json:
        _dump({name: report.to_dict() for name, report in reports.items()})
    elif len(reports) > 1:
        print(side_by_side(reports))
    return 0


def _evaluation_index(settings: Settings, corpus: list[Path], rebuild: bool) -> PolicyAssistant:
    """The bundled corpus plus ``corpus``, indexed once into ``data_dir/eval-index``."""
    from assistant.ingest.pipeline import bundled_corpus_dir
    from assistant.service import PolicyAssistant, build_index
    from assistant.store.index import version_name

    missing = [str(p) for p in corpus if not p.exists()]
    if missing:
        raise CliError(f"evaluation corpus not found: {', '.join(missing)} (give --corpus PATH)", EXIT_USAGE)
    wider = settings.model_copy(update={"index_dir": settings.data_dir / "eval-index"})
    if rebuild or version_name(wider.index_dir) is None:
        print(f"building the evaluation index {wider.index_dir} (bundled corpus + {', '.join(map(str, corpus))}) …",
              file=sys.stderr)
        build_index(wider, [bundled_corpus_dir(), *corpus])
    return PolicyAssistant.open(wider)


def _print_report(report: Any, k: int) -> None:
    print(f"{'cat':<6}{'n':>4}{'hit@1':>8}{f'hit@{k}':>8}{'MRR':>8}{'keys':>8}{'intent':>8}{'abstain':>9}"
          f"{'med.len':>9}")
    for name, score in [*sorted(report.categories.items()), ("all", report.overall)]:
        print(f"{name:<6}{score.n:>4}{score.hit1:>8.3f}{score.hitk:>8.3f}{score.mrr:>8.3f}"
              f"{score.key_accuracy:>8.3f}{score.intent_accuracy:>8.3f}{score.abstained:>9.3f}"
              f"{score.median_answer_chars:>9.0f}")
    abstention = report.abstention()
    print(f"abstention on E: precision {abstention['precision']:.3f}, recall {abstention['recall']:.3f}; "
          f"false abstentions on answerable: {abstention['false_abstention_rate']:.3f}")
    print(f"unfaithful citations: {report.unfaithful_citations}")
    for span in report.unlocated_spans:
        print(f"gold span not found in the index: {span}", file=sys.stderr)
    misses = report.to_dict()["misses"]
    if misses:
        print("missed at k: " + ", ".join(misses))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policy-assistant", description="Cited answers from Chinese policy documents.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_index(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--index", metavar="DIR", help="index directory (default: ./index or POLICY_ASSISTANT_INDEX_DIR)")
        return p

    def with_server(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--server", metavar="URL", help="ask a running `policy-assistant serve` (e.g. "
                       "http://127.0.0.1:8000; default: POLICY_ASSISTANT_SERVER) instead of loading the model here")
        p.add_argument("--local", action="store_true", help="answer in this process even if a server is configured")
        return p

    p = with_index(sub.add_parser("ingest", help="build the index from files or folders (default: bundled corpus)"))
    p.add_argument("paths", nargs="*", help=".txt/.md files or folders")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--ray", action="store_true", help="embed the passages as a Ray Data job (the `ray` extra; "
                   "POLICY_ASSISTANT_RAY_ADDRESS for a cluster), same as POLICY_ASSISTANT_EMBED_BACKEND=ray")
    p.set_defaults(func=cmd_ingest)

    p = with_index(sub.add_parser("add", help="add or replace documents without a rebuild"))
    p.add_argument("paths", nargs="+", help=".txt .md .pdf .docx .html files or folders")
    for name, text in (("title", "title"), ("issuer", "issuing body"), ("number", "document number, e.g. 国发〔2021〕20号"),
                       ("date", "date, YYYY-MM-DD"), ("jurisdiction", "place (武汉, 广西) or 国家"),
                       ("period", "policy period, e.g. 2026-2030 or 十五五"),
                       ("supersedes", "doc_id of the plan this document replaces"),
                       ("publisher", "who republished the text (not its issuer)"), ("source", "where the text came from"),
                       ("effective_date", "施行日期, YYYY-MM-DD"), ("promulgated_date", "通过／公布日期, YYYY-MM-DD"),
                       ("expiry_date", "last day of validity, YYYY-MM-DD"),
                       ("status", "in_force, amended, repealed, not_yet_in_force (or 现行有效, 已废止 …)"),
                       ("repeals", "titles or doc_ids it repeals, separated by ；")):
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, help=f"{text} (overrides what is read from the text)")
    p.set_defaults(func=cmd_add)

    p = with_index(sub.add_parser("remove", help="remove documents by id without a rebuild"))
    p.add_argument("doc_ids", nargs="+")
    p.set_defaults(func=cmd_remove)

    p = with_index(sub.add_parser("ask", help="answer a question ('-' reads one question a line from stdin)"))
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the JSON answer contract")
    p.add_argument("--k", type=int, default=None, help="citations to return (default 5)")
    p.add_argument("--doc", action="append", help="only this document id (repeatable)")
    p.add_argument("--jurisdiction", action="append", help="only documents of this jurisdiction, e.g. 武汉 (repeatable)")
    p.add_argument("--history", metavar="FILE", help="earlier turns as a JSON list of {question, answer}")
    with_server(p).set_defaults(func=cmd_ask)

    p = with_index(sub.add_parser("chat", help="an interactive conversation in the terminal"))
    p.add_argument("--k", type=int, default=None)
    p.add_argument("--doc", action="append")
    p.add_argument("--jurisdiction", action="append")
    with_server(p).set_defaults(func=cmd_chat)

    p = with_index(sub.add_parser("match", help="measures that apply to an enterprise profile"))
    p.add_argument("--location", help="province, city or district (武汉, Wuhan, 南宁)")
    p.add_argument("--traits", action="append", help="e.g. 专精特新,高新技术企业 (repeatable or comma-separated)")
    p.add_argument("--needs", action="append", help="e.g. 融资,保险 (repeatable or comma-separated)")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--exclude-ended", action="store_true", help="leave out plans whose period has ended")
    p.add_argument("--company", help="the company's figures in words: 年营收8000万元，员工120人，有5件发明专利")
    p.add_argument("--revenue", help="last year's revenue: 8000万, 3亿, 1200000")
    p.add_argument("--rd-spend", help="last year's R&D spend: 500万")
    p.add_argument("--employees", type=int)
    p.add_argument("--invention-patents", type=int)
    p.add_argument("--registered", help="registration date, YYYY-MM-DD")
    p.add_argument("--qualifications", action="append", help="e.g. 高新技术企业,专精特新")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_match)

    p = with_index(sub.add_parser("match-eval", help="score the matcher against labelled profiles"))
    p.add_argument("file")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--corpus", default="bundled",
                   help="score the profiles labelled over this corpus: bundled (default) or extra (bundled + extra)")
    p.add_argument("--audience", help="labels of measures addressed to other organisations (bench/match_audience.jsonl)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_match_eval)

    p = with_index(sub.add_parser("serve", help="run the HTTP API and the web chat"))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes sharing the port (default 1 or POLICY_ASSISTANT_WORKERS); "
                        "about one per core, each holds the model (~0.6 GB)")
    p.set_defaults(func=cmd_serve)

    p = with_index(sub.add_parser("mcp", help="serve the assistant to MCP hosts (stdio, or --http)"))
    p.add_argument("--http", action="store_true", help="streamable HTTP instead of stdio")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.set_defaults(func=cmd_mcp)

    p = sub.add_parser("feedback", help="print the feedback users left on answers")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_feedback)

    p = with_index(sub.add_parser("docs", help="list the indexed documents"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_docs)

    p = with_index(sub.add_parser("doc", help="print one document's cleaned text, metadata and sections"))
    p.add_argument("doc_id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_doc)

    p = with_index(sub.add_parser("eval", help="score against gold files (shared/eval format), side by side"))
    p.add_argument("files", nargs="*", help="gold files (default: ../shared/eval/dev.jsonl, bench/dev_unseen.jsonl, "
                   "bench/dev_holdout.jsonl)")
    p.add_argument("--corpus", action="append", default=[], metavar="PATH",
                   help="documents a gold file needs beyond the index (default: ../shared/corpus/extra); indexed "
                   "with the bundled corpus into DATA_DIR/eval-index")
    p.add_argument("--rebuild", action="store_true", help="rebuild the evaluation index first")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)
    return parser


# Commands that only answer: they write nothing but a first index, complete and renamed into place
# before they answer, so nothing is left to flush when they return.
ANSWERING_COMMANDS = frozenset({"ask", "match", "match-eval", "eval", "docs", "doc"})


def run(argv: list[str] | None = None) -> NoReturn:
    """The program (`policy-assistant`, `python -m assistant`): the command, then exit.  A command of
    ANSWERING_COMMANDS ends its process without Python's teardown, once its output is flushed:
    freeing a loaded model, tokenizer and jieba dictionary object by object took 1.5 s of a cold
    `ask` (8.2 s) after the answer was printed."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        status = dispatch(args)
    except BrokenPipeError:  # the reader went away (`ask - … | head`): stop quietly, as a shell tool does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush into the pipe
        status = 1
    if args.command in ANSWERING_COMMANDS:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except OSError:  # the reader went away (`ask … | head`): nothing more can be delivered
                pass
        logging.shutdown()
        os._exit(status)
    sys.exit(status)


def main(argv: list[str] | None = None) -> int:
    """Run one command line in this process and return its exit status (tests call this)."""
    return dispatch(build_parser().parse_args(argv))


def dispatch(args: argparse.Namespace) -> int:
    """Run the parsed command; expected failures become a message and an exit status."""
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    if getattr(args, "k", None) is not None and not 1 <= args.k <= 50:
        print("error: --k must be between 1 and 50", file=sys.stderr)
        return EXIT_USAGE
    if getattr(args, "workers", None) is not None and args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    from assistant.runtime import limit_threads

    try:
        limit_threads(_settings(args).threads)  # before torch or FAISS is imported by any command
        return args.func(args)
    except CliError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.code
    except Exception as err:  # noqa: BLE001 - only the expected failures are caught; others re-raised
        code = _exit_status(err)
        if code is None:
            raise
        print(f"error: {err}", file=sys.stderr)
        return code


def _exit_status(err: Exception) -> int | None:
    """The exit status of an expected failure (EXPECTED_ERRORS), None for anything else."""
    for module, name, code in EXPECTED_ERRORS:
        kind = getattr(sys.modules.get(module), name, None)
        if kind is not None and isinstance(err, kind):
            return code
    return None
