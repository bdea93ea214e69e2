/* policy-assistant — policy matching page.
 *
 * Sends an enterprise profile (location, traits and needs, ticked or typed as free
 * text) to POST /api/match, says how typed text was understood, and lists the
 * measures — ranked once by relevance, numbered by rank — grouped by level. Each measure's citation chip
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
    freeTraits: document.getElementById("free-traits"),
    freeNeeds: document.getElementById("free-needs"),
    excludeEnded: document.getElementById("exclude-ended"),
    submit: document.getElementById("match-submit"),
    results: document.getElementById("match-results"),
    status: document.getElementById("match-status"), // announces the one-line summary, not the whole list
  };

  if (!PA || !els.form || !els.results || !els.submit) return;

  const panel = window.SourcePanel.create({ layout: els.layout, fallbackFocus: els.location });

  const SUBMIT_LABEL = els.submit.textContent.trim() || "查找政策";

  const state = {
    busy: false,
    request: 0, // bumped per search so a late response of an older one is ignored
    groups: [], // groups of the result on screen
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

  /** Free text typed in a field, split at commas, 、 and semicolons. */
  function typed(input) {
    if (!input) return [];
    return input.value.split(/[,，、;；\n]/).map((v) => v.trim()).filter(Boolean);
  }

  function merged(a, b) {
    return Array.from(new Set([...a, ...b]));
  }

  const readError = PA.readError;

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
    const h = el("h4", "measure-heading");
    if (m.rank) h.appendChild(el("span", "measure-rank", `${m.rank}. `));
    h.appendChild(document.createTextNode(heading));
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
    const successor = m.successor_measure;
    if (successor && successor.title) {
      tags.appendChild(el("span", "measure-successor",
        `后续文件对应措施：《${str(successor.title)}》${str(successor.section)} ${str(successor.heading)}`.trim()));
    }
    const audience = str(m.audience);
    if (audience) {
      const note = el("span", "measure-audience is-warning", audience);
      note.setAttribute("role", "note");
      tags.appendChild(note);
    }
    const regions = list(m.regions);
    if (regions.length) tags.appendChild(el("span", "measure-regions", `适用区域：${regions.join("、")}`));
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
    if (els.status) els.status.textContent = summary.textContent;

    const understood = Array.isArray(data && data.understood) ? data.understood : [];
    const read = understood.filter((u) => u && u.how !== "taxonomy").map((u) => str(u.description)).filter(Boolean);
    if (read.length) {
      const note = el("p", "match-understood", `理解为：${read.join("；")}`);
      note.setAttribute("role", "note");
      box.appendChild(note);
    }

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
      traits: merged(checked("trait"), typed(els.freeTraits)),
      needs: merged(checked("need"), typed(els.freeNeeds)),
      limit: 10,
      exclude_ended: Boolean(els.excludeEnded && els.excludeEnded.checked),
    };
  }

  async function search() {
    if (state.busy) return;
    const body = buildBody();
    const request = ++state.request;
    panel.close(false);
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
  /* citations -> source panel (the panel itself lives in panel.js)      */
  /* ------------------------------------------------------------------ */

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
    if (chip) panel.open(citationFor(chip), chip);
  });

  setBusy(false);
})();
