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

  /** Human-readable error text from a non-2xx JSON body. */
  function errorMessage(body, status) {
    if (body && typeof body === "object") {
      if (typeof body.error === "string" && body.error) return body.error;
      if (typeof body.detail === "string" && body.detail) return body.detail;
      if (Array.isArray(body.detail) && body.detail.length) {
        return body.detail.map((d) => (d && d.msg) || String(d)).join("；");
      }
    }
    return status ? `请求失败（HTTP ${status}）` : "请求失败";
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
    readError,
    documentUrl,
    toInt,
  });
})();
