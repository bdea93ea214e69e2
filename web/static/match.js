/* policy-assistant — policy matching page.
 *
 * Sends an enterprise profile (location, traits, needs) to POST /api/match and
 * lists the matching measures grouped by level. Each measure's citation chip
 * opens the cited clause in the same source panel as the chat page.
 * Everything from the user or the server goes into the page through
 * textContent / text nodes; nothing is parsed as HTML.
 */
(function () {
  "use strict";

  const PA = window.PolicyAssistant;

  const els = {
    layout: document.getElementById("match-layout"),
    form: document.getElementById("match-form"),
    location: document.getElementById("location"),
    excludeEnded: document.getElementById("exclude-ended"),
    submit: document.getElementById("match-submit"),
    results: document.getElementById("match-results"),
    panel: document.getElementById("source-panel"),
    closePanel: document.getElementById("close-panel"),
    sourceTitle: document.getElementById("source-title"),
    sourceMeta: document.getElementById("source-meta"),
    sourceSection: document.getElementById("source-section"),
    sourceStatus: document.getElementById("source-status"),
    sourceText: document.getElementById("source-text"),
    sourceOpenFull: document.getElementById("source-open-full"),
  };

  if (!PA || !els.form || !els.results || !els.submit) return;

  const SUBMIT_LABEL = els.submit.textContent.trim() || "查找政策";

  const state = {
    busy: false,
    request: 0, // bumped per search so a late response of an older one is ignored
    groups: [], // groups of the result on screen
    docCache: new Map(), // doc_id -> Promise<document JSON>
    panelRequest: 0,
    panelTrigger: null,
  };

  /* ------------------------------------------------------------------ */
  /* small helpers                                                       */
  /* ------------------------------------------------------------------ */

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function str(value) {
    return typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
  }

  function list(value) {
    return Array.isArray(value) ? value.map(str).filter(Boolean) : [];
  }

  function checked(name) {
    return Array.from(els.form.querySelectorAll(`input[name="${name}"]:checked`)).map((i) => i.value);
  }

  async function readError(response) {
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    return PA.errorMessage(body, response.status);
  }

  function setBusy(busy) {
    state.busy = busy;
    els.submit.disabled = busy;
    els.submit.setAttribute("aria-busy", busy ? "true" : "false");
    els.submit.textContent = busy ? "正在匹配…" : SUBMIT_LABEL;
    els.results.setAttribute("aria-busy", busy ? "true" : "false");
    els.form.classList.toggle("is-busy", busy);
  }

  /* ------------------------------------------------------------------ */
  /* rendering                                                           */
  /* ------------------------------------------------------------------ */

  function sourceLabel(m) {
    const title = str(m.title || (m.citation && m.citation.title));
    const section = str(m.section || (m.citation && m.citation.section));
    return `${title ? `《${title}》` : ""}${section}`;
  }

  function summaryText(data, body, total) {
    const loc = data && data.location;
    const parts = [];
    if (loc && (loc.full_name || loc.name)) parts.push(str(loc.full_name || loc.name));
    else if (body.location) parts.push(body.location);
    else parts.push("国家级政策");
    const profile = (data && data.profile) || {};
    const traits = list(profile.traits).length ? list(profile.traits) : body.traits;
    const needs = list(profile.needs).length ? list(profile.needs) : body.needs;
    if (traits.length) parts.push(traits.join("、"));
    if (needs.length) parts.push(needs.join("、"));
    return `${parts.join(" · ")}：找到 ${total} 项措施`;
  }

  function renderMeasure(m, gi, mi) {
    const art = el("article", "measure");
    const status = str(m.status) || "in_force";
    if (status !== "in_force") art.classList.add("measure-inactive");

    const heading = str(m.heading) || str(m.section) || "支持措施";
    const h = el("h4", "measure-heading", heading);
    h.id = `measure-${gi}-${mi}`;
    art.setAttribute("aria-labelledby", h.id);
    art.appendChild(h);

    const offer = str(m.offer);
    if (offer) art.appendChild(el("p", "measure-offer", offer));

    const tags = el("div", "measure-tags");
    const lead = str(m.lead);
    if (lead) tags.appendChild(el("span", "measure-lead", `牵头/负责：${lead}`));
    let statusLabel = str(m.status_label);
    if (!statusLabel && status === "ended") statusLabel = "规划期已结束";
    if (!statusLabel && status === "superseded") statusLabel = "已被新文件替代";
    if (statusLabel) {
      const badge = el("span", "measure-status", statusLabel);
      badge.dataset.status = status;
      if (status !== "in_force") {
        badge.classList.add("is-warning");
        badge.setAttribute("role", "note");
      }
      tags.appendChild(badge);
    }
    const needs = list(m.needs);
    if (needs.length) tags.appendChild(el("span", "measure-needs", `对应需求：${needs.join("、")}`));
    const traits = list(m.traits);
    if (traits.length) tags.appendChild(el("span", "measure-traits", `适用企业：${traits.join("、")}`));
    if (tags.childNodes.length) art.appendChild(tags);

    const foot = el("div", "measure-foot");
    const label = sourceLabel(m);
    const source = el("p", "measure-source");
    source.appendChild(el("span", "measure-source-label", "出处："));
    source.appendChild(el("span", "measure-source-text", label));
    foot.appendChild(source);
    if (m.citation && m.citation.doc_id) {
      const chip = el("button", "citation-chip", "查看原文");
      chip.type = "button";
      chip.dataset.group = String(gi);
      chip.dataset.index = String(mi);
      chip.title = `${label} ${heading}`.trim();
      chip.setAttribute("aria-label", `查看原文：${label} ${heading}`.trim());
      foot.appendChild(chip);
    }
    art.appendChild(foot);
    return art;
  }

  function renderResults(data, body) {
    const groups = Array.isArray(data && data.groups) ? data.groups : [];
    state.groups = groups;
    const total = groups.reduce((n, g) => n + (Array.isArray(g && g.measures) ? g.measures.length : 0), 0);
    const box = els.results;
    box.textContent = "";

    const summary = el("p", "match-summary", summaryText(data, body, total));
    box.appendChild(summary);

    const unmatched = list(data && data.unmatched_needs);
    if (unmatched.length) {
      const wrap = el("div", "match-unmatched");
      wrap.setAttribute("role", "note");
      for (const need of unmatched) wrap.appendChild(el("p", "unmatched-need", `知识库中没有针对“${need}”的措施。`));
      box.appendChild(wrap);
    }

    if (!total) {
      let text = "没有找到符合条件的措施。可以减少勾选的企业类型或需求，或换一个地区再试。";
      if (body.exclude_ended) text = "没有找到符合条件的措施。可以减少勾选条件、换一个地区，或取消“不含已结束的规划”后再试。";
      box.appendChild(el("p", "match-empty empty-state", text));
      return summary;
    }

    groups.forEach((g, gi) => {
      const measures = Array.isArray(g && g.measures) ? g.measures : [];
      if (!measures.length) return;
      const section = el("section", "match-group");
      if (g.level) section.dataset.level = str(g.level);
      const header = el("div", "match-group-header");
      const h3 = el("h3", "match-group-title", str(g.label || g.level));
      h3.id = `match-group-${gi}`;
      header.append(h3, el("span", "match-group-count", `${measures.length} 项`));
      section.setAttribute("aria-labelledby", h3.id);
      section.appendChild(header);
      measures.forEach((m, mi) => section.appendChild(renderMeasure(m || {}, gi, mi)));
      box.appendChild(section);
    });
    return summary;
  }

  /** Scrolls the start of the results into view when it is below the fold (long form on phones). */
  function revealResults(node) {
    if (!node || !node.getBoundingClientRect) return;
    const rect = node.getBoundingClientRect();
    if (rect.top > window.innerHeight - 80 || rect.bottom < 0) {
      const smooth = !(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
      node.scrollIntoView({ block: "start", behavior: smooth ? "smooth" : "auto" });
    }
  }

  function renderError(message) {
    state.groups = [];
    els.results.textContent = "";
    const p = el("p", "match-error", message);
    p.setAttribute("role", "alert");
    els.results.appendChild(p);
    revealResults(p);
  }

  /* ------------------------------------------------------------------ */
  /* search                                                              */
  /* ------------------------------------------------------------------ */

  function buildBody() {
    const location = els.location ? els.location.value.trim() : "";
    return {
      location: location || null,
      traits: checked("trait"),
      needs: checked("need"),
      limit: 10,
      exclude_ended: Boolean(els.excludeEnded && els.excludeEnded.checked),
    };
  }

  async function search() {
    if (state.busy) return;
    const body = buildBody();
    const request = ++state.request;
    closePanel(false);
    setBusy(true);
    els.results.textContent = "";
    els.results.appendChild(el("p", "match-loading", "正在查找适用的政策措施…"));
    try {
      const response = await fetch("/api/match", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      if (request !== state.request) return;
      if (!response.ok) {
        const message = await readError(response);
        if (request === state.request) renderError(message);
        return;
      }
      const data = await response.json();
      if (request !== state.request) return;
      revealResults(renderResults(data, body));
    } catch (_) {
      if (request === state.request) renderError("无法连接到服务器，请检查网络后重试");
    } finally {
      if (request === state.request) setBusy(false);
    }
  }

  /* ------------------------------------------------------------------ */
  /* source panel (same markup and behaviour as the chat page)           */
  /* ------------------------------------------------------------------ */

  function fetchDocument(docId) {
    if (!state.docCache.has(docId)) {
      const p = fetch(`/api/documents/${encodeURIComponent(docId)}`, {
        headers: { Accept: "application/json" },
      }).then(async (response) => {
        if (!response.ok) throw new Error(await readError(response));
        return response.json();
      });
      p.catch(() => state.docCache.delete(docId));
      state.docCache.set(docId, p);
    }
    return state.docCache.get(docId);
  }

  function isOverlay() {
    return window.matchMedia && window.matchMedia("(max-width: 760px)").matches;
  }

  function openPanel() {
    els.panel.classList.add("open");
    if (els.layout) els.layout.classList.add("panel-open");
    document.body.classList.add("panel-is-open");
  }

  function closePanel(restoreFocus) {
    if (!els.panel || !els.panel.classList.contains("open")) return;
    state.panelRequest += 1;
    els.panel.classList.remove("open");
    if (els.layout) els.layout.classList.remove("panel-open");
    document.body.classList.remove("panel-is-open");
    const trigger = state.panelTrigger;
    state.panelTrigger = null;
    if (restoreFocus !== false) {
      if (trigger && document.body.contains(trigger)) trigger.focus();
      else if (els.location) els.location.focus();
    }
  }

  /** Scrolls #source-text so that `mark` sits in its middle. */
  function centerInPanel(mark) {
    const box = els.sourceText;
    const scrollable = box.scrollHeight > box.clientHeight + 1;
    if (!scrollable) {
      mark.scrollIntoView({ block: "center", inline: "nearest" });
      return;
    }
    const boxRect = box.getBoundingClientRect();
    const markRect = mark.getBoundingClientRect();
    const top = markRect.top - boxRect.top + box.scrollTop;
    const gap = markRect.height >= box.clientHeight - 32 ? 16 : (box.clientHeight - markRect.height) / 2;
    box.scrollTop = Math.max(0, top - gap);
  }

  async function showSource(citation, trigger) {
    if (!citation || !citation.doc_id || !els.panel) return;
    const request = ++state.panelRequest;
    state.panelTrigger = trigger || null;

    els.sourceTitle.textContent = str(citation.title || citation.doc_id);
    els.sourceMeta.textContent = "";
    const section = [citation.section, citation.heading].filter(Boolean).join(" ");
    els.sourceSection.textContent = section ? `引用条款：${section}` : "";
    els.sourceSection.hidden = !section;
    els.sourceOpenFull.href = PA.documentUrl(citation.doc_id, citation.start, citation.end);
    els.sourceText.textContent = "";
    els.sourceStatus.textContent = "正在加载原文…";
    openPanel();
    els.closePanel.focus();

    let doc;
    try {
      doc = await fetchDocument(citation.doc_id);
    } catch (err) {
      if (request !== state.panelRequest) return;
      els.sourceStatus.textContent = `原文加载失败：${(err && err.message) || "未知错误"}`;
      if (citation.quote) {
        const quote = String(citation.quote);
        PA.renderText(els.sourceText, quote, { start: 0, end: quote.length });
      }
      return;
    }
    if (request !== state.panelRequest) return;

    els.sourceTitle.textContent = str(doc.title || citation.title || citation.doc_id);
    PA.renderMeta(els.sourceMeta, doc);
    const text = typeof doc.text === "string" ? doc.text : "";
    const span = PA.resolveSpan(text, citation.start, citation.end, citation.quote);
    const mark = PA.renderText(els.sourceText, text, span);
    els.sourceStatus.textContent = mark ? "" : "未能在原文中定位该条款，以下为全文。";
    els.sourceText.scrollTop = 0;
    if (mark) {
      requestAnimationFrame(() => {
        if (request !== state.panelRequest) return;
        centerInPanel(mark);
      });
    }
  }

  function citationFor(chip) {
    const gi = parseInt(chip.dataset.group, 10);
    const mi = parseInt(chip.dataset.index, 10);
    if (!Number.isInteger(gi) || !Number.isInteger(mi)) return null;
    const group = state.groups[gi];
    const measure = group && Array.isArray(group.measures) ? group.measures[mi] : null;
    if (!measure) return null;
    const c = measure.citation || {};
    return {
      ...c,
      doc_id: c.doc_id || measure.doc_id,
      title: c.title || measure.title,
      section: c.section || measure.section,
      heading: c.heading || measure.heading,
    };
  }

  /* ------------------------------------------------------------------ */
  /* wiring                                                              */
  /* ------------------------------------------------------------------ */

  els.form.addEventListener("submit", (e) => {
    e.preventDefault();
    search();
  });

  els.results.addEventListener("click", (e) => {
    const target = e.target;
    if (!(target instanceof Element)) return;
    const chip = target.closest("button.citation-chip");
    if (chip) showSource(citationFor(chip), chip);
  });

  if (els.closePanel) els.closePanel.addEventListener("click", () => closePanel(true));

  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && els.panel && els.panel.classList.contains("open")) {
      e.preventDefault();
      closePanel(true);
    }
  });

  // Keep focus inside the panel while it covers the whole screen (phones).
  if (els.panel) {
    els.panel.addEventListener("keydown", (e) => {
      if (e.key !== "Tab" || !isOverlay()) return;
      const focusable = Array.from(
        els.panel.querySelectorAll("button, a[href], [tabindex]:not([tabindex='-1'])")
      ).filter((n) => !n.hidden && n.offsetParent !== null);
      if (!focusable.length) return;
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    });
  }

  setBusy(false);
})();
