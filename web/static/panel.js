/* policy-assistant — the source side panel shared by the chat and match pages.
 *
 * Works on the markup of templates/_source_panel.html (aside#source-panel).
 * Opens a citation's clause: fetches the document once per page (cached),
 * shows title, metadata and cited section, highlights the span in
 * mark#highlight and scrolls it to the middle. Closes on the ✕ button and on
 * Esc, and keeps Tab focus inside the panel while it covers the screen
 * (phones). Document text only goes into the page through text nodes.
 *
 * Usage (once per page, after common.js):
 *   const panel = window.SourcePanel.create({ layout, fallbackFocus });
 *   panel.open(citation, opener);   // opener gets focus back on close
 *   panel.close(restoreFocus);      // restoreFocus === false keeps focus where it is
 */
(function () {
  "use strict";

  const PA = window.PolicyAssistant;

  function str(value) {
    return typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
  }

  function isOverlay() {
    return window.matchMedia && window.matchMedia("(max-width: 760px)").matches;
  }

  /**
   * options.layout: page wrapper that gets the `panel-open` class while open.
   * options.fallbackFocus: element focused on close when the opener is gone.
   */
  function create(options) {
    const opts = options || {};
    const els = {
      panel: document.getElementById("source-panel"),
      closeButton: document.getElementById("close-panel"),
      title: document.getElementById("source-title"),
      meta: document.getElementById("source-meta"),
      section: document.getElementById("source-section"),
      status: document.getElementById("source-status"),
      text: document.getElementById("source-text"),
      openFull: document.getElementById("source-open-full"),
    };
    const layout = opts.layout || null;

    if (!PA || !els.panel) {
      return { open() {}, close() {}, isOpen: () => false };
    }

    const state = {
      docCache: new Map(), // doc_id -> Promise<document JSON>
      request: 0, // bumped per open/close so a late document of an older open is ignored
      trigger: null,
    };

    function fetchDocument(docId) {
      if (!state.docCache.has(docId)) {
        const p = fetch(`/api/documents/${encodeURIComponent(docId)}`, {
          headers: { Accept: "application/json" },
        }).then(async (response) => {
          if (!response.ok) throw new Error(await PA.readError(response));
          return response.json();
        });
        p.catch(() => state.docCache.delete(docId));
        state.docCache.set(docId, p);
      }
      return state.docCache.get(docId);
    }

    function isOpen() {
      return els.panel.classList.contains("open");
    }

    function show() {
      // Over the page on a phone it is a modal dialog; beside the chat on a wide screen it is not.
      els.panel.setAttribute("aria-modal", isOverlay() ? "true" : "false");
      els.panel.classList.add("open");
      if (layout) layout.classList.add("panel-open");
      document.body.classList.add("panel-is-open");
    }

    function close(restoreFocus) {
      if (!isOpen()) return;
      state.request += 1;
      els.panel.classList.remove("open");
      if (layout) layout.classList.remove("panel-open");
      document.body.classList.remove("panel-is-open");
      const trigger = state.trigger;
      state.trigger = null;
      if (restoreFocus !== false) {
        if (trigger && document.body.contains(trigger)) trigger.focus();
        else if (opts.fallbackFocus) opts.fallbackFocus.focus();
      }
    }

    /** Scrolls #source-text so that `mark` sits in its middle (block: center). */
    function centerInPanel(mark) {
      const box = els.text;
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

    async function open(citation, opener) {
      if (!citation || !citation.doc_id) return;
      const request = ++state.request;
      state.trigger = opener || null;

      els.title.textContent = str(citation.title || citation.doc_id);
      els.meta.textContent = "";
      const section = [citation.section, citation.heading].filter(Boolean).join(" ");
      els.section.textContent = section ? `引用条款：${section}` : "";
      els.section.hidden = !section;
      els.openFull.href = PA.documentUrl(citation.doc_id, citation.start, citation.end);
      els.text.textContent = "";
      els.status.textContent = "正在加载原文…";
      show();
      els.closeButton.focus();

      let doc;
      try {
        doc = await fetchDocument(citation.doc_id);
      } catch (err) {
        if (request !== state.request) return;
        els.status.textContent = `原文加载失败：${PA.describeError(err)}`;
        if (citation.quote) {
          const quote = String(citation.quote);
          PA.renderText(els.text, quote, { start: 0, end: quote.length });
        }
        return;
      }
      if (request !== state.request) return;

      els.title.textContent = str(doc.title || citation.title || citation.doc_id);
      PA.renderMeta(els.meta, doc);
      const text = typeof doc.text === "string" ? doc.text : "";
      const span = PA.resolveSpan(text, citation.start, citation.end, citation.quote);
      const mark = PA.renderText(els.text, text, span);
      els.status.textContent = mark ? "" : "未能在原文中定位该条款，以下为全文。";
      els.text.scrollTop = 0;
      if (mark) {
        requestAnimationFrame(() => {
          if (request !== state.request) return;
          centerInPanel(mark);
        });
      }
    }

    if (els.closeButton) els.closeButton.addEventListener("click", () => close(true));

    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && isOpen()) {
        e.preventDefault();
        close(true);
      }
    });

    // Keep focus inside the panel while it covers the whole screen (phones).
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

    return { open, close, isOpen };
  }

  window.SourcePanel = Object.freeze({ create });
})();
