"""Query expansion: colloquial abbreviations, common typos and English words get their policy
wording appended (the original words stay, so nothing the user typed is lost)."""

from __future__ import annotations

import re

# Everyday or English wording -> the wording policy texts use.  Domain vocabulary, not answers.
LEXICON: dict[str, str] = {
    "高企": "高新技术企业",
    "知产": "知识产权",
    "IP": "知识产权",
    "ip": "知识产权",
    "专力": "专利",
    "专例": "专利",
    "质压": "质押",
    "治押": "质押",
    "商表": "商标",
    "贷款": "质押融资 贷款",
    "借钱": "融资",
    "bank": "银行",
    "loan": "贷款 融资",
    "pledge": "质押",
    "support": "支持",
    "policy": "政策",
    "finance": "融资",
    "financing": "融资",
    "patent": "专利",
    "trademark": "商标",
    "copyright": "版权 著作权",
    "target": "目标",
    "goal": "目标",
    "insurance": "保险",
    "打官司": "纠纷 维权 诉讼",
    "官司": "纠纷 诉讼",
    "侵权了": "侵权 维权",
    "出海": "海外",
    "国外": "海外 境外",
    "外贸": "外贸 出口 海外",
    "老字号": "老字号 传统品牌",
    "央企": "中央企业",
    "国企": "国有企业",
    "小微": "中小微企业",
    "中小企业": "中小企业 中小微企业",
    "大学": "高校",
    "代理机构": "代理机构 知识产权服务机构",
    "事务所": "知识产权服务机构",
    "资质": "资质 认定 申报",
    "谁牵头": "牵头单位",
    "哪个部门": "牵头单位 责任单位",
    "谁负责": "责任单位 负责",
    "补贴": "补贴 资助 奖励 扶持",
}


def expand(question: str) -> str:
    additions = []
    lowered = question.lower()
    for word, wording in LEXICON.items():
        key = word.lower()
        if (key.isascii() and re.search(rf"(?<![a-z]){re.escape(key)}(?![a-z])", lowered)) or (
            not key.isascii() and key in question
        ):
            additions.append(wording)
    return question if not additions else question + " " + " ".join(additions)
