/* policy-assistant — document page.
 *
 * Rebuilds the full text from the JSON embedded in #doc-data (text nodes
 * only), places an anchor at each section start for the outline, and when the
 * URL carries ?start=N&end=M highlights text[start:end] and scrolls to it.
 */
(function () {
  "use strict";

  const PA = window.PolicyAssistant;
  const dataEl = document.getElementById("doc-data");
  const textEl = document.getElementById("doc-text");
  if (!PA || !dataEl || !textEl) return;

  let doc;
  try {
    doc = JSON.parse(dataEl.textContent || "{}");
  } catch (_) {
    return;
  }
  const text = typeof doc.text === "string" ? doc.text : "";
  const map = PA.offsetMapper(text);

  const anchors = [];
  (Array.isArray(doc.sections) ? doc.sections : []).forEach((s, i) => {
    const at = PA.toInt(s && s.start);
    if (at !== null) anchors.push({ at: map(at), id: `sec-${i}` });
  });

  const params = new URLSearchParams(window.location.search);
  const start = params.get("start");
  const end = params.get("end");
  const span = start !== null && end !== null ? PA.resolveSpan(text, start, end, null) : null;

  const mark = PA.renderText(textEl, text, span, anchors);

  const note = document.getElementById("highlight-note");
  const goto = document.getElementById("goto-highlight");

  function scrollToMark() {
    if (!mark) return;
    mark.scrollIntoView({ block: "center", inline: "nearest" });
    mark.focus({ preventScroll: true });
  }

  if (mark) {
    if (note) note.hidden = false;
    if (goto) goto.addEventListener("click", scrollToMark);
    // Let layout settle (fonts, outline) before centring the highlight.
    requestAnimationFrame(() => requestAnimationFrame(scrollToMark));
  } else if (window.location.hash) {
    // Anchors only exist now that the text is rebuilt: honour #sec-N on load.
    const target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    if (target) target.scrollIntoView({ block: "start" });
  }
})();
