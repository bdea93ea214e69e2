/* policy-assistant — chat page.
 *
 * Streams answers from POST /api/ask/stream (Server-Sent Events over fetch),
 * shows numbered citations and opens the cited clause in a side panel.
 * Every piece of user, answer or document text goes into the page through
 * textContent / text nodes; nothing from the server is parsed as HTML.
 */
(function () {
  "use strict";

  const PA = window.PolicyAssistant;

  const ABSTAINED_NOTE = "知识库中没有可以回答该问题的条款，以上为说明";
  const MAX_HISTORY = 20;

  const els = {
    layout: document.getElementById("chat-layout"),
    scroll: document.getElementById("chat-scroll"),
    messages: document.getElementById("messages"),
    examples: document.getElementById("examples"),
    form: document.getElementById("ask-form"),
    question: document.getElementById("question"),
    send: document.getElementById("send"),
    newConversation: document.getElementById("new-conversation"),
    jurisdiction: document.getElementById("jurisdiction"),
  };

  if (!els.messages || !els.question || !els.send) return;

  const panel = window.SourcePanel.create({ layout: els.layout, fallbackFocus: els.question });

  const state = {
    history: [], // completed turns: [{question, answer}]
    busy: false,
    controller: null, // AbortController of the running request
    generation: 0, // bumped by "新对话" so late events of an old stream are ignored
  };

  /* ------------------------------------------------------------------ */
  /* small DOM helpers                                                   */
  /* ------------------------------------------------------------------ */

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function isNearBottom() {
    const s = els.scroll;
    if (!s) return true;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  function scrollToBottom(force) {
    const s = els.scroll;
    if (!s) return;
    if (force || isNearBottom()) s.scrollTop = s.scrollHeight;
  }

  function setBusy(busy) {
    state.busy = busy;
    els.send.disabled = busy;
    els.send.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function showExamples(show) {
    if (els.examples) els.examples.hidden = !show || !els.examples.querySelector(".example");
  }

  function autosize() {
    const q = els.question;
    q.style.height = "auto";
    q.style.height = `${Math.min(q.scrollHeight + 2, 200)}px`;
  }

  /* ------------------------------------------------------------------ */
  /* messages                                                            */
  /* ------------------------------------------------------------------ */

  function addUserMessage(question) {
    const msg = el("div", "message user");
    msg.appendChild(el("div", "message-role visually-hidden", "我的问题："));
    msg.appendChild(el("div", "message-body", question));
    els.messages.appendChild(msg);
    return msg;
  }

  /** Creates an assistant message and returns a small controller for it. */
  function addAssistantMessage(question) {
    const msg = el("div", "message assistant streaming");
    msg.setAttribute("aria-busy", "true");
    msg.appendChild(el("div", "message-role visually-hidden", "助手回答："));
    const resolved = el("div", "resolved-question");
    resolved.hidden = true;
    const text = el("div", "answer-text");
    const textNode = document.createTextNode("");
    text.appendChild(textNode);
    const typing = el("div", "typing");
    typing.setAttribute("aria-hidden", "true");
    typing.append(el("span"), el("span"), el("span"));
    const status = el("div", "visually-hidden", "正在生成回答…");
    msg.append(resolved, text, typing, status);
    els.messages.appendChild(msg);

    return {
      msg,
      question,
      text,
      textNode,
      typing,
      status,
      resolved,
      answer: "",
      citations: null,
      abstained: false,
      finished: false,
    };
  }

  function showResolved(view, meta) {
    const r = meta && meta.resolved_question;
    if (typeof r === "string" && r.trim() && r.trim() !== view.question.trim()) {
      view.resolved.textContent = `结合上文，理解为：${r}`;
      view.resolved.hidden = false;
    }
  }

  function appendDelta(view, piece) {
    if (typeof piece !== "string" || !piece) return;
    const follow = isNearBottom();
    view.answer += piece;
    if (view.rendered) renderAnswerText(view);
    else view.textNode.appendData(piece);
    if (follow) scrollToBottom(true);
  }

  function citationLabel(c, i) {
    const title = c && c.title ? `《${c.title}》` : "";
    const section = c && c.section ? c.section : "";
    return `[${i + 1}] ${title}${section}`;
  }

  /** Renders the answer text with [n] markers turned into clickable spans. */
  function renderAnswerText(view) {
    view.rendered = true;
    const text = view.answer;
    const cites = view.citations || [];
    view.text.textContent = "";
    const re = /\[(\d{1,3})\]/g;
    let last = 0;
    let m;
    while ((m = re.exec(text)) !== null) {
      const n = parseInt(m[1], 10);
      if (n < 1 || n > cites.length) continue;
      if (m.index > last) view.text.appendChild(document.createTextNode(text.slice(last, m.index)));
      const ref = el("span", "citation-ref", m[0]);
      ref.setAttribute("role", "button");
      ref.tabIndex = 0;
      ref.dataset.index = String(n - 1);
      ref.setAttribute("aria-label", `查看引用 ${n}：${citationLabel(cites[n - 1], n - 1)}`);
      ref.title = citationLabel(cites[n - 1], n - 1);
      view.text.appendChild(ref);
      last = m.index + m[0].length;
    }
    if (last < text.length) view.text.appendChild(document.createTextNode(text.slice(last)));
  }

  function renderCitations(view) {
    const cites = Array.isArray(view.citations) ? view.citations : [];
    const old = view.msg.querySelectorAll(".abstained-note, .citations");
    old.forEach((n) => n.remove());

    const anchor = view.typing.parentNode === view.msg ? view.typing : null;
    // Always present (tests and assistive tech can rely on it); shown only when abstained.
    const note = el("div", "abstained-note", ABSTAINED_NOTE);
    note.setAttribute("role", "note");
    note.hidden = !view.abstained;
    view.msg.insertBefore(note, anchor);

    const box = el("div", "citations");
    box.hidden = cites.length === 0;
    if (cites.length) {
      const heading = el("div", "citations-title", view.abstained ? "相近条款（仅供参考）" : "引用依据");
      box.appendChild(heading);
      const list = el("div", "citation-list");
      list.setAttribute("role", "list");
      cites.forEach((c, i) => {
        const chip = el("button", "citation-chip", citationLabel(c, i));
        chip.type = "button";
        chip.dataset.index = String(i);
        chip.setAttribute("role", "listitem");
        const heading2 = c && c.heading ? ` ${c.heading}` : "";
        chip.title = `${citationLabel(c, i)}${heading2}`;
        chip.setAttribute("aria-label", `查看原文：${citationLabel(c, i)}${heading2}`);
        list.appendChild(chip);
      });
      box.appendChild(list);
    }
    view.msg.insertBefore(box, anchor);
    view.msg._citations = cites;
  }

  function finishStreaming(view) {
    view.finished = true;
    view.msg.classList.remove("streaming");
    view.msg.setAttribute("aria-busy", "false");
    view.typing.remove();
    view.status.remove();
  }

  function renderActions(view) {
    const bar = el("div", "message-actions");
    const copy = el("button", "btn btn-small copy-answer", "复制");
    copy.type = "button";
    copy.setAttribute("aria-label", "复制回答");
    const up = el("button", "btn btn-small feedback-up", "有帮助");
    up.type = "button";
    up.setAttribute("aria-label", "回答有帮助");
    const down = el("button", "btn btn-small feedback-down", "没帮助");
    down.type = "button";
    down.setAttribute("aria-label", "回答没有帮助");
    const comment = el("input", "feedback-comment");
    comment.type = "text";
    comment.maxLength = 500;
    comment.placeholder = "意见或建议（可选）";
    comment.setAttribute("aria-label", "反馈意见（可选，随评价一并提交）");
    const status = el("span", "action-status");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    bar.append(copy, up, down, comment, status);
    view.msg.appendChild(bar);
  }

  function finalizeAnswer(view, answer) {
    if (view.finished) return;
    const follow = isNearBottom();
    if (answer && typeof answer === "object") {
      if (typeof answer.answer === "string") view.answer = answer.answer;
      if (Array.isArray(answer.citations)) view.citations = answer.citations;
      if (typeof answer.abstained === "boolean") view.abstained = answer.abstained;
      showResolved(view, answer);
    }
    if (view.citations === null) view.citations = [];
    finishStreaming(view);
    renderAnswerText(view);
    renderCitations(view);
    view.msg._turn = { question: view.question, answer: view.answer, citations: view.citations };
    renderActions(view);
    state.history.push({ question: view.question, answer: view.answer });
    if (state.history.length > MAX_HISTORY) state.history.splice(0, state.history.length - MAX_HISTORY);
    if (follow) scrollToBottom(true);
  }

  function failAnswer(view, message) {
    if (view.finished) return;
    const follow = isNearBottom();
    finishStreaming(view);
    view.msg.classList.add("error");
    const text = message || "请求失败，请稍后重试";
    if (!view.answer) {
      view.text.textContent = `出错了：${text}`;
    } else {
      const err = el("div", "message-error", `出错了：${text}`);
      view.msg.appendChild(err);
    }
    view.msg.setAttribute("role", "alert");
    if (follow) scrollToBottom(true);
  }

  /* ------------------------------------------------------------------ */
  /* asking                                                              */
  /* ------------------------------------------------------------------ */

  function buildBody(question) {
    const value = els.jurisdiction ? els.jurisdiction.value : "";
    return {
      question,
      history: state.history.map((t) => ({ question: t.question, answer: t.answer })),
      top_k: null,
      filters: { jurisdictions: value ? [value] : [] },
    };
  }

  /** Parses one SSE frame ("event: x\ndata: y") into {event, data}. */
  function parseFrame(frame) {
    let event = "message";
    const data = [];
    for (const line of frame.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (!data.length) return null;
    return { event, data: data.join("\n") };
  }

  async function readStream(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder("utf-8");
    let buffer = "";
    const drain = (final) => {
      let pendingCR = false;
      if (!final && buffer.endsWith("\r")) {
        pendingCR = true;
        buffer = buffer.slice(0, -1);
      }
      buffer = buffer.replace(/\r\n?/g, "\n");
      let idx;
      while ((idx = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, idx);
        buffer = buffer.slice(idx + 2);
        const parsed = parseFrame(frame);
        if (parsed) onEvent(parsed);
      }
      if (final && buffer.trim()) {
        const parsed = parseFrame(buffer);
        buffer = "";
        if (parsed) onEvent(parsed);
      }
      if (pendingCR) buffer += "\r";
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      drain(false);
    }
    buffer += decoder.decode();
    drain(true);
  }

  const readError = PA.readError;

  async function ask(question) {
    if (state.busy) return;
    const q = String(question || "").trim();
    if (!q) return;

    const generation = state.generation;
    const body = buildBody(q);
    showExamples(false);
    setBusy(true);
    addUserMessage(q);
    const view = addAssistantMessage(q);
    scrollToBottom(true);

    const controller = new AbortController();
    state.controller = controller;
    const live = () => generation === state.generation;
    const release = () => {
      // The answer is complete: allow the next question even if the server
      // has not closed the stream yet.
      if (live() && state.controller === controller) {
        state.controller = null;
        setBusy(false);
      }
    };

    const handle = ({ event, data }) => {
      if (!live() || view.finished) return;
      let payload = null;
      try {
        payload = JSON.parse(data);
      } catch (_) {
        payload = null;
      }
      if (event === "meta") {
        showResolved(view, payload);
      } else if (event === "delta") {
        if (payload && typeof payload.text === "string") appendDelta(view, payload.text);
      } else if (event === "citations") {
        if (payload && Array.isArray(payload.citations)) view.citations = payload.citations;
        if (payload && typeof payload.abstained === "boolean") view.abstained = payload.abstained;
        const follow = isNearBottom();
        renderAnswerText(view);
        renderCitations(view);
        if (follow) scrollToBottom(true);
      } else if (event === "done") {
        finalizeAnswer(view, payload && payload.answer);
        release();
      } else if (event === "error") {
        failAnswer(view, payload && payload.error ? String(payload.error) : "");
        release();
      }
    };

    try {
      let response = await fetch("/api/ask/stream", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (response.status === 404 || response.status === 405) {
        // No streaming endpoint: fall back to the one-shot API.
        response = await fetch("/api/ask", {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(body),
          signal: controller.signal,
        });
      }
      if (!live()) return;
      if (!response.ok) {
        const message = await readError(response);
        if (live()) failAnswer(view, message);
        return;
      }
      const type = response.headers.get("Content-Type") || "";
      if (type.includes("application/json")) {
        const answer = await response.json();
        if (live()) finalizeAnswer(view, answer);
      } else if (response.body && response.body.getReader) {
        await readStream(response, handle);
      } else {
        const raw = await response.text();
        raw.replace(/\r\n?/g, "\n").split("\n\n").forEach((frame) => {
          const parsed = parseFrame(frame);
          if (parsed) handle(parsed);
        });
      }
      if (live() && !view.finished) {
        // The stream ended without "done": keep what arrived.
        if (view.answer) finalizeAnswer(view, null);
        else failAnswer(view, "连接已中断，未收到回答，请重试");
      }
    } catch (err) {
      if (!live() || (err && err.name === "AbortError")) return;
      failAnswer(view, "无法连接到服务器，请检查网络后重试");
    } finally {
      release();
    }
  }

  function submitFromBox() {
    if (state.busy) return;
    const q = els.question.value.trim();
    if (!q) return;
    els.question.value = "";
    autosize();
    ask(q);
  }

  function newConversation() {
    state.generation += 1;
    if (state.controller) {
      try {
        state.controller.abort();
      } catch (_) {
        /* ignore */
      }
      state.controller = null;
    }
    state.history = [];
    els.messages.textContent = "";
    setBusy(false);
    panel.close(false);
    showExamples(true);
    if (els.scroll) els.scroll.scrollTop = 0;
    els.question.value = "";
    autosize();
    els.question.focus();
  }

  /* ------------------------------------------------------------------ */
  /* copy & feedback                                                     */
  /* ------------------------------------------------------------------ */

  function flashStatus(msg, text) {
    const status = msg.querySelector(".action-status");
    if (status) status.textContent = text;
  }

  async function copyAnswer(msg, button) {
    const turn = msg._turn;
    if (!turn) return;
    let ok = false;
    try {
      if (navigator.clipboard && navigator.clipboard.writeText) {
        await navigator.clipboard.writeText(turn.answer);
        ok = true;
      }
    } catch (_) {
      ok = false;
    }
    if (!ok) {
      try {
        const ta = document.createElement("textarea");
        ta.value = turn.answer;
        ta.setAttribute("readonly", "");
        ta.style.position = "fixed";
        ta.style.opacity = "0";
        document.body.appendChild(ta);
        ta.select();
        ok = document.execCommand("copy");
        ta.remove();
      } catch (_) {
        ok = false;
      }
      button.focus();
    }
    if (ok) {
      button.textContent = "已复制";
      setTimeout(() => {
        button.textContent = "复制";
      }, 1500);
    }
  }

  async function sendFeedback(msg, rating) {
    const turn = msg._turn;
    if (!turn || msg.classList.contains("feedback-sent") || msg._sending) return;
    const input = msg.querySelector(".feedback-comment");
    const comment = input && input.value.trim() ? input.value.trim() : null;
    const buttons = msg.querySelectorAll(".feedback-up, .feedback-down");
    msg._sending = true;
    buttons.forEach((b) => {
      b.disabled = true;
    });
    try {
      const response = await fetch("/api/feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({
          question: turn.question,
          answer: turn.answer,
          rating,
          comment,
          citations: turn.citations || [],
        }),
      });
      if (!response.ok) throw new Error(await readError(response));
      msg.classList.add("feedback-sent");
      const chosen = msg.querySelector(rating === "up" ? ".feedback-up" : ".feedback-down");
      if (chosen) {
        chosen.classList.add("chosen");
        chosen.setAttribute("aria-pressed", "true");
      }
      if (input) input.disabled = true;
      flashStatus(msg, "已收到反馈");
    } catch (err) {
      buttons.forEach((b) => {
        b.disabled = false;
      });
      const why = err && err.message && !/fetch/i.test(err.message) ? err.message : "网络错误";
      flashStatus(msg, `反馈提交失败：${why}`);
    } finally {
      msg._sending = false;
    }
  }

  /* ------------------------------------------------------------------ */
  /* citations -> source panel (the panel itself lives in panel.js)      */
  /* ------------------------------------------------------------------ */

  function citationFor(target) {
    const msg = target.closest(".message.assistant");
    if (!msg || !Array.isArray(msg._citations)) return null;
    const i = parseInt(target.dataset.index, 10);
    return Number.isInteger(i) ? msg._citations[i] || null : null;
  }

  /* ------------------------------------------------------------------ */
  /* wiring                                                              */
  /* ------------------------------------------------------------------ */

  els.form.addEventListener("submit", (e) => {
    e.preventDefault();
    submitFromBox();
  });

  els.question.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.isComposing || e.keyCode === 229) return; // IME candidate selection
    e.preventDefault();
    submitFromBox();
  });

  els.question.addEventListener("input", autosize);

  els.newConversation.addEventListener("click", newConversation);

  if (els.examples) {
    els.examples.addEventListener("click", (e) => {
      const button = e.target.closest("button.example");
      if (!button || state.busy) return;
      const q = button.dataset.question || "";
      els.question.value = q;
      autosize();
      submitFromBox();
      els.question.focus();
    });
  }

  els.messages.addEventListener("click", (e) => {
    const target = e.target;
    if (!(target instanceof Element)) return;
    const chip = target.closest(".citation-chip, .citation-ref");
    if (chip) {
      panel.open(citationFor(chip), chip);
      return;
    }
    const msg = target.closest(".message.assistant");
    if (!msg) return;
    const copy = target.closest(".copy-answer");
    if (copy) {
      copyAnswer(msg, copy);
      return;
    }
    if (target.closest(".feedback-up")) sendFeedback(msg, "up");
    else if (target.closest(".feedback-down")) sendFeedback(msg, "down");
  });

  els.messages.addEventListener("keydown", (e) => {
    const target = e.target;
    if (!(target instanceof Element)) return;
    if (target.classList.contains("citation-ref") && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      panel.open(citationFor(target), target);
    } else if (target.classList.contains("feedback-comment") && e.key === "Enter") {
      e.preventDefault(); // do not submit anything by accident
    }
  });

  setBusy(false);
  showExamples(true);
  autosize();
})();
