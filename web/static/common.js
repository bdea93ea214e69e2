/* policy-assistant — helpers shared by the chat, match and document pages.
 *
 * Plain ES2020, no dependencies. Document text is only ever inserted with
 * text nodes / textContent, never as HTML.
 */
(function () {
  "use strict";

  const SURROGATE = /[\uD800-\uDFFF]/;

  /**
   * Returns a function converting a Python code-point offset into a JS string
   * (UTF-16) index for `text`. For BMP-only text the two agree.
   */
  function offsetMapper(text) {
    const str = String(text || "");
    if (!SURROGATE.test(str)) {
      return (cp) => Math.max(0, Math.min(str.length, cp));
    }
    const points = Array.from(str);
    const index = new Array(points.length + 1);
    let pos = 0;
    for (let i = 0; i < points.length; i += 1) {
      index[i] = pos;
      pos += points[i].length;
    }
    index[points.length] = pos;
    return (cp) => index[Math.max(0, Math.min(points.length, cp))];
  }

  function toInt(value) {
    if (typeof value === "number") return Number.isInteger(value) ? value : null;
    if (typeof value === "string" && /^\s*\d+\s*$/.test(value)) return parseInt(value, 10);
    return null;
  }

  /**
   * Resolves a citation span [start, end) (code-point offsets) on `text` into
   * UTF-16 indices. When the offsets do not reproduce `quote` but the quote
   * occurs in the text, the quote's position is used instead.
   * Returns {start, end} in UTF-16 indices, or null.
   */
  function resolveSpan(text, start, end, quote) {
    const str = String(text || "");
    const map = offsetMapper(str);
    let s = toInt(start);
    let e = toInt(end);
    let span = null;
    if (s !== null && e !== null && e > s) {
      span = { start: map(s), end: map(e) };
      if (span.end <= span.start) span = null;
    }
    if (quote && typeof quote === "string") {
      const matches = span && str.slice(span.start, span.end) === quote;
      if (!matches) {
        const at = str.indexOf(quote);
        if (at >= 0) span = { start: at, end: at + quote.length };
      }
    }
    return span;
  }

  /**
   * Fills `container` with `text` as text nodes. `span` ({start, end} UTF-16
   * indices, optional) is wrapped in <mark id="highlight">. `anchors`
   * (optional list of {at, id}, UTF-16 indices) become empty <span id>
   * elements placed at those positions.
   * Returns the <mark> element or null.
   */
  function renderText(container, text, span, anchors) {
    const str = String(text || "");
    container.textContent = "";
    const cuts = new Set([0, str.length]);
    const hasSpan = span && span.end > span.start;
    if (hasSpan) {
      cuts.add(span.start);
      cuts.add(span.end);
    }
    const anchorsAt = new Map();
    for (const anchor of anchors || []) {
      const at = Math.max(0, Math.min(str.length, anchor.at));
      cuts.add(at);
      if (!anchorsAt.has(at)) anchorsAt.set(at, []);
      anchorsAt.get(at).push(anchor.id);
    }
    const points = Array.from(cuts).sort((a, b) => a - b);
    let mark = null;
    let parent = container;
    for (let i = 0; i < points.length; i += 1) {
      const at = points[i];
      if (hasSpan && at === span.end && mark) parent = container;
      if (hasSpan && at === span.start) {
        mark = document.createElement("mark");
        mark.id = "highlight";
        // A table row (cells one per line) is highlighted as one block, not one strip per line.
        if (str.slice(span.start, span.end).includes("\n")) mark.className = "highlight-block";
        mark.tabIndex = -1;
        container.appendChild(mark);
        parent = mark;
      }
      for (const id of anchorsAt.get(at) || []) {
        const el = document.createElement("span");
        el.id = id;
        el.className = "text-anchor";
        parent.appendChild(el);
      }
      const next = points[i + 1];
      if (next !== undefined && next > at) {
        parent.appendChild(document.createTextNode(str.slice(at, next)));
      }
    }
    return mark;
  }

  /** Metadata entries worth showing for a document, as [label, value] pairs. */
  function metaEntries(doc) {
    const d = doc || {};
    const entries = [];
    const issuer = d.issuer || d.publisher;
    if (issuer) entries.push([d.issuer ? "发文机关" : "发布单位", issuer]);
    if (d.number) entries.push(["文号", d.number]);
    if (d.date) entries.push(["日期", d.date]);
    if (d.period && (d.period.label || d.period.start_year)) {
      let value = d.period.label || "";
      if (d.period.start_year && d.period.end_year) {
        const range = `${d.period.start_year}—${d.period.end_year}年`;
        value = value && value !== range ? `${value}（${range}）` : range;
      }
      entries.push(["规划期", value]);
    }
    const place = d.jurisdiction_full || d.jurisdiction;
    if (place) entries.push(["地区", place]);
    return entries;
  }

  /** Renders metaEntries into `container` as <span class="meta-item"> elements. */
  function renderMeta(container, doc) {
    container.textContent = "";
    for (const [label, value] of metaEntries(doc)) {
      const item = document.createElement("span");
      item.className = "meta-item";
      const l = document.createElement("span");
      l.className = "meta-label";
      l.textContent = `${label}：`;
      const v = document.createElement("span");
      v.className = "meta-value";
      v.textContent = String(value);
      item.append(l, v);
      container.appendChild(item);
    }
  }

  /* ---- every error a user sees is Chinese ----------------------------------------------- */

  const CJK = /[\u3400-\u9fff]/;
  const FIELD_NAMES = {
    question: "问题",
    history: "对话历史",
    top_k: "引用条数",
    filters: "筛选条件",
    location: "地区",
    traits: "企业类型",
    needs: "需求",
    comment: "意见",
    rating: "评价",
    doc_id: "文件",
  };
  // English messages the server may still send, in Chinese.
  const KNOWN_MESSAGES = [
    [/the question is empty/i, () => "问题不能为空，请输入问题"],
    [/the question has (\d+) characters; the limit is (\d+)/i, (m) => `问题有 ${m[1]} 个字，超过了 ${m[2]} 字的上限，请精简后再问`],
    [/(\d+) characters; the limit is (\d+)/i, (m) => `内容有 ${m[1]} 个字，超过了 ${m[2]} 字的上限`],
    [/malformed JSON/i, () => "请求格式有误，请刷新页面后重试"],
    [/'(.+)' is not a province, city or district/i, (m) => `没有找到地点“${m[1]}”，请填写中国的省、市或区县（如 武汉、淄博）`],
    [/unknown (trait|need) '(.+?)'/i, (m) => `无法识别的${m[1] === "trait" ? "企业类型" : "需求"}“${m[2]}”`],
    [/no document '(.+?)'/i, (m) => `没有找到文件“${m[1]}”，它可能已被移出文件库`],
    [/failed to fetch|networkerror|network request failed|load failed/i, () => NETWORK_ERROR],
  ];
  const NETWORK_ERROR = "无法连接到服务器，请检查网络后重试";
  const STATUS_MESSAGES = {
    400: "请求内容有误，请修改后重试",
    401: "没有权限，请先登录或提供正确的口令",
    403: "没有权限进行此操作",
    404: "没有找到所请求的内容",
    413: "提交的内容过大，请精简后重试",
    422: "填写的内容有误，请检查后重试",
    429: "请求过于频繁，请稍后再试",
  };

  function statusMessage(status) {
    if (STATUS_MESSAGES[status]) return STATUS_MESSAGES[status];
    if (status >= 500) return "服务器出错了，请稍后再试";
    return status ? `请求失败（错误代码 ${status}），请稍后重试` : "请求失败，请稍后重试";
  }

  /**
   * A message fit to show: Chinese as it is (an English field name before it is translated),
   * a known English message in Chinese, anything else replaced by a Chinese text for the status.
   */
  function localizeError(message, status) {
    let text = String(message || "").trim();
    const field = /^([a-z_]+)(?:\.\d+)*(?:\.[a-z_]+)*\s*:\s*/i.exec(text);
    let label = "";
    if (field && FIELD_NAMES[field[1]]) {
      label = FIELD_NAMES[field[1]];
      text = text.slice(field[0].length);
    }
    if (!CJK.test(text.replace(/'[^']*'|"[^"]*"|“[^”]*”/g, ""))) { // quoted user input does not count
      const known = KNOWN_MESSAGES.find(([re]) => re.test(text));
      text = known ? known[1](known[0].exec(text)) : "";
    }
    if (!text) return label ? `${label}：${statusMessage(status || 422)}` : statusMessage(status);
    return label && !text.startsWith(label) ? `${label}：${text}` : text;
  }

  /** Chinese text for an exception from fetch or from our own code (never the browser's English). */
  function describeError(err) {
    if (err && err.name === "TypeError") return NETWORK_ERROR; // fetch() failing: offline, server gone
    return localizeError(err && err.message, 0);
  }

  /** Human-readable (Chinese) error text from a non-2xx JSON body. */
  function errorMessage(body, status) {
    let raw = "";
    if (body && typeof body === "object") {
      if (typeof body.error === "string" && body.error) raw = body.error;
      else if (body.error && typeof body.error.message === "string") raw = body.error.message;
      else if (typeof body.detail === "string" && body.detail) raw = body.detail;
      else if (Array.isArray(body.detail) && body.detail.length) {
        raw = body.detail.map((d) => (d && d.msg) || String(d)).join("；");
      }
    }
    return localizeError(raw, status);
  }

  /** Error text of a failed fetch Response (its JSON body when there is one). */
  async function readError(response) {
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    return errorMessage(body, response.status);
  }

  function documentUrl(docId, start, end) {
    let url = `/documents/${encodeURIComponent(docId)}`;
    if (toInt(start) !== null && toInt(end) !== null) url += `?start=${toInt(start)}&end=${toInt(end)}`;
    return url;
  }

  window.PolicyAssistant = Object.freeze({
    offsetMapper,
    resolveSpan,
    renderText,
    metaEntries,
    renderMeta,
    errorMessage,
    localizeError,
    describeError,
    readError,
    documentUrl,
    toInt,
  });
})();
