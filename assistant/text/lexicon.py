"""Question vocabulary. Query expansion: colloquial abbreviations, common typos and English words get their policy
wording appended (the original words stay, so nothing the user typed is lost)."""

from __future__ import annotations

import re

from assistant.text.tokens import jieba_module

# Everyday or English wording -> the wording policy texts use.  Domain vocabulary, not answers.
LEXICON: dict[str, str] = {
    "高企": "高新技术企业",
    "人大常委会": "人民代表大会常务委员会",
    "人大": "人民代表大会",
    "国常会": "国务院常务会议",
    "国知局": "国家知识产权局",
    "市监局": "市场监督管理局 市场监管局",
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
    "trade secret": "商业秘密",
    "e-commerce": "电子商务 电商平台",
    "电商": "电子商务",
    "penalty": "罚款 处罚",
    "deadline": "期限 之日起",
    "fine": "罚款",
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


def expansions_in(question: str) -> dict[str, list[str]]:
    """The LEXICON words a question uses, each with its policy wording (贷款 -> 质押融资, 贷款)."""
    lowered = question.lower()
    return {word.lower(): wording.split() for word, wording in LEXICON.items() if word.lower() in lowered}


# Words any question may use that say nothing about its topic.
PLAIN_WORDS = set(
    "我们 我 你们 公司 企业 单位 机构 政府 这边 那边 这个 那个 一家 什么 怎么 怎样 如何 哪些 哪个 能 能不能 可以 是否 "
    "有没有 有 没有 啥 吗 呢 吧 的 了 和 与 及 在 对 给 要 想 会 能给 需要 请问 一下 现在 目前 方面 相关 有关 情况 问题 "
    "知识产权 政策 支持 规定 要求 规划 方案 文件 多少 几 分别 是 谁 哪 里 中 上 下 年 月 日 条 件 个 家 做 搞 拿 找 报 "
    "呀 啊 还 还有 以及 或者 就 都 也 又 很 最 更 该 其 之 这件 事 那部分 部分 一条 那条 目标 目标值 预期 预期值 实际值 "
    "现状 表 表里 指标 数值 数字 各是 分别是 具体 关于 打算 涉及 时候 时间 多长 多长时间 多久 哪天 哪年 一共 "
    "咱们 这块 那块 那套 那个 这种 之类 的话 情况 啥子 "
    "in on of the a an for to my our we is are what which how does do can any there and or with about".split()
)


def content_words(text: str, places: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The words of a question that carry its topic (jieba words; the given place names and plain words removed)."""
    places = set(places)
    words = []
    for word in jieba_module().lcut(text.lower()):
        word = word.strip()
        if len(word) < 2 or word in PLAIN_WORDS or not re.match(r"^[\w]+$", word) or word.isdigit():
            continue
        if any(word in p or p in word for p in places):
            continue
        words.append(word)
    return list(dict.fromkeys(words))

