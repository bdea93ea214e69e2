"""Validity of regulations as well as plans: repealed, not yet in force, expired, amended, later
versions, a repeal that waits for its repealer — and the order answers and matching use."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assistant.ingest.pipeline import parse_document
from assistant.ingest.reader import read_source
from assistant.validity import (
    ENDED,
    EXPIRED,
    SUPERSEDED,
    current_first,
    resolved_repeals,
    validities,
)
from assistant.models import AMENDED, IN_FORCE, NOT_YET_IN_FORCE, REPEALED
from assistant.store.index import PolicyIndex, StoredDocument

OLD = """# 江北省专利保护条例

2005年6月1日 江北省第十届人民代表大会常务委员会第十次会议通过

第一条 为了保护专利权，制定本条例。

第二条 本条例自2005年9月1日起施行。
"""
NEW = """# 江北省专利条例

2015年9月25日 江北省第十二届人民代表大会常务委员会第二十三次会议通过

第一条 为了鼓励发明创造，制定本条例。

第二条 本条例自{effective}起施行。《江北省专利保护条例》同时废止。
"""


def index_of(tmp_path: Path, files: dict[str, str]) -> PolicyIndex:
    """The documents of an index (validity reads only their metadata)."""
    documents = {}
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        documents[path.stem] = StoredDocument.from_parsed(parse_document(read_source(path)))
    return PolicyIndex(manifest={}, documents=documents, chunks=[], dense=None, bm25=None)


def test_a_regulation_repealed_by_one_in_force_ranks_below_it(tmp_path: Path) -> None:
    index = index_of(tmp_path, {"old.md": OLD, "new.md": NEW.format(effective="2016年1月1日")})
    states = validities(index, date(2024, 1, 1))
    assert states["old"].status == REPEALED and states["old"].label == "已被《江北省专利条例》废止"
    assert states["old"].successor == "new" and states["new"].status == IN_FORCE
    assert current_first(["old", "new"], states) == ["new", "old"]
    assert [(r.title, r.doc_id) for r in resolved_repeals(index, index.documents["new"])] == [("江北省专利保护条例", "old")]


def test_a_repeal_waits_for_its_repealer_to_take_effect(tmp_path: Path) -> None:
    index = index_of(tmp_path, {"old.md": OLD, "new.md": NEW.format(effective="2030年1月1日")})
    states = validities(index, date(2029, 6, 1))
    assert states["new"].status == NOT_YET_IN_FORCE and states["new"].label == "尚未施行（自2030年1月1日起施行）"
    assert states["old"].status == IN_FORCE and "2030年1月1日起施行后废止" in states["old"].label
    assert current_first(["new", "old"], states) == ["old", "new"]
    later = validities(index, date(2030, 1, 1))
    assert later["new"].status == IN_FORCE and later["old"].status == REPEALED


def test_a_repealed_title_not_in_the_index_is_listed_unresolved(tmp_path: Path) -> None:
    index = index_of(tmp_path, {"new.md": NEW.format(effective="2016年1月1日")})
    assert [(r.title, r.doc_id) for r in resolved_repeals(index, index.documents["new"])] == [("江北省专利保护条例", None)]
    assert validities(index, date(2024, 1, 1))["new"].status == IN_FORCE


def test_a_later_version_of_the_same_title_supersedes_the_earlier(tmp_path: Path) -> None:
    v1 = "# 江北省专利条例\n\n2010年3月1日 江北省人民代表大会常务委员会通过\n\n第一条 甲。\n"
    v2 = "# 江北省专利条例\n\n2020年3月1日 江北省人民代表大会常务委员会修订\n\n第一条 乙。\n"
    index = index_of(tmp_path, {"v1.md": v1, "v2.md": v2})
    states = validities(index, date(2024, 1, 1))
    assert states["v1"].status == SUPERSEDED and states["v1"].successor == "v2"
    assert states["v2"].status == IN_FORCE


@pytest.mark.parametrize(
    ("text", "status", "label"),
    [
        ("---\ntitle: 甲办法\nstatus: 已废止\n---\n第一条 甲。\n", REPEALED, "已废止"),
        ("---\ntitle: 甲办法\n效力状态: 已修改\n---\n第一条 甲。\n", AMENDED, "已修改（现行文本可能不同）"),
        ("# 甲办法\n\n一、总则\n\n本办法自2020年1月1日起施行，有效期3年。\n", EXPIRED, "已失效（有效期至2022年12月31日）"),
        ("# 甲办法\n\n一、总则\n\n本办法自2023年5月1日起施行，有效期五年。\n", IN_FORCE, ""),
        ("# 甲市知识产权规划（2016-2020年）\n\n一、目标\n\n到2020年，专利大幅增长。\n", ENDED, "规划期已结束（2016—2020年）"),
    ],
)
def test_stated_status_expiry_and_plan_period(tmp_path: Path, text: str, status: str, label: str) -> None:
    index = index_of(tmp_path, {"doc.md": text})
    state = validities(index, date(2024, 1, 1))["doc"]
    assert (state.status, state.label) == (status, label)


def test_ranks_order_what_applies_first() -> None:
    from assistant.validity import Validity

    states = {name: Validity(status, "") for name, status in
              [("r", REPEALED), ("s", SUPERSEDED), ("e", ENDED), ("n", NOT_YET_IN_FORCE), ("a", AMENDED), ("i", IN_FORCE)]}
    assert current_first(list(states), states) == ["i", "a", "e", "n", "s", "r"]


DOCUMENTS2 = Path(__file__).resolve().parents[1] / "bench" / "reader_data" / "documents2"
SHARED_MORE = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "more"


def test_a_certificates_term_is_not_the_documents_validity(tmp_path: Path) -> None:
    """Issue 22: the national 高新技术企业认定管理办法 (in force) says 其资格自颁发证书之日起有效期为三年
    and was marked 已失效; the Trademark Law's 注册商标的有效期为十年 gave it an expiry too."""
    banfa = parse_document(read_source(DOCUMENTS2 / "49_gaoxin_jishu_qiye_rending_guanli_banfa.txt")).metadata
    assert banfa.effective_date == "2016-01-01" and banfa.expiry_date is None
    law = parse_document(read_source(SHARED_MORE / "21_shangbiaofa_2019.txt")).metadata
    assert law.expiry_date is None
    own = parse_document(read_source(DOCUMENTS2 / "52_tianhe_zhichi_gangao_qingnian_chuangxin_chuangye_shishi_banfa.txt"))
    assert own.metadata.expiry_date == "2026-09-07"  # 本办法自2023年9月8日起施行，有效期3年: its own term


def test_a_repeal_of_its_own_title_names_the_earlier_version_never_itself(tmp_path: Path) -> None:
    """原《高新技术企业认定管理办法》（国科发火[2008]172号）同时废止: the earlier version, with its number."""
    text = (DOCUMENTS2 / "49_gaoxin_jishu_qiye_rending_guanli_banfa.txt").read_text(encoding="utf-8")
    alone = index_of(tmp_path, {"banfa2016.txt": text})
    refs = resolved_repeals(alone, alone.documents["banfa2016"])
    assert [(r.title, r.doc_id) for r in refs] == [("高新技术企业认定管理办法（国科发火[2008]172号）", None)]
    assert validities(alone, date(2026, 12, 7))["banfa2016"].status == IN_FORCE
    earlier = "# 高新技术企业认定管理办法\n\n国科发火〔2008〕172号\n\n2008年4月14日\n\n第一条 为扶持和鼓励高新技术企业的发展，制定本办法。\n"
    both = index_of(tmp_path, {"banfa2016.txt": text, "banfa2008.md": earlier})
    assert [r.doc_id for r in resolved_repeals(both, both.documents["banfa2016"])] == ["banfa2008"]
    states = validities(both, date(2026, 12, 7))
    assert states["banfa2016"].status == IN_FORCE and states["banfa2008"].status in (REPEALED, SUPERSEDED)


def every_pair_successors(index: PolicyIndex) -> dict[str, str]:
    """The reference: every document of a place and level against every other (the old way)."""
    from assistant.validity import _replacement_key

    found = {n.metadata.supersedes: n.doc_id for n in index.documents.values()
             if n.metadata.supersedes and n.metadata.supersedes in index.documents}
    for older in index.documents.values():
        if older.doc_id in found:
            continue
        keyed = [(key, newer.doc_id) for newer in index.documents.values()
                 if newer is not older and (newer.metadata.region_code, newer.metadata.level)
                 == (older.metadata.region_code, older.metadata.level)
                 and (key := _replacement_key(older.metadata, newer.metadata))]
        if keyed:
            found[older.doc_id] = min(keyed)[1]
    return found


def test_successors_match_the_every_pair_reference(tmp_path: Path) -> None:
    """Issue 26: successors compares a document with the plans and the same-titled documents of its
    place only; on versions, plans and unrelated documents it finds what every pair finds."""
    from assistant.validity import successors

    files = {f"v{year}.md": f"# 江北省专利条例\n\n{year}年3月1日 江北省人民代表大会常务委员会通过\n\n第一条 甲。\n"
             for year in (2005, 2012, 2020)}
    files.update({f"plan{first}.md": f"# 江北省知识产权规划（{first}-{first + 4}年）\n\n一、目标\n\n到{first + 4}年，专利增长。\n"
                  for first in (2011, 2016, 2021)})
    files.update({f"other{i}.md": f"# 江北省第{i}号办法\n\n2019年5月{i}日\n\n第一条 乙。\n" for i in range(1, 6)})
    files["city.md"] = "# 江北市专利条例\n\n2021年3月1日 江北市人民代表大会常务委员会通过\n\n第一条 丙。\n"
    index = index_of(tmp_path, files)
    found = successors(index)
    assert found == every_pair_successors(index)
    assert found["v2005"] == "v2012" and found["v2012"] == "v2020" and found["plan2011"] == "plan2016"
