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
    exportConversation: document.getElementById("export-conversation"),
    jurisdiction: document.getElementById("jurisdiction"),
  };

  /** doc_id -> short name (武汉工作方案), rendered by the server as a JSON data block. */
  const shortTitles = (() => {
    const node = document.getElementById("doc-short-titles");
    try {
      const data = node ? JSON.parse(node.textContent || "{}") : {};
      return data && typeof data === "object" ? data : {};
    } catch (_) {
      return {};
    }
  })();

  if (!els.messages || !els.question || !els.send) return;

  const panel = window.SourcePanel.create({ layout: els.layout, fallbackFocus: els.question });

  const state = {
    history: [], // completed turns: [{question, answer}]
    busy: false,
    controller: null, // AbortController of the running request
    generation: 0, // bumped by "新对话" so late events of an old stream are ignored
    tips: 0, // tooltip ids
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

  /** Where the answer should stop scrolling: its question (when short) or its own first line at the top. */
  function answerAnchor(view) {
    const s = els.scroll;
    const asked = view.msg.previousElementSibling;
    const target = asked && asked.classList.contains("user") && asked.offsetHeight < s.clientHeight * 0.4 ? asked : view.msg;
    return target.getBoundingClientRect().top - s.getBoundingClientRect().top + s.scrollTop - 8;
  }

  /** Follows a growing answer downwards, but never so far that its first line leaves the view (phones). */
  function followAnswer(view) {
    const s = els.scroll;
    if (!s) return;
    const bottom = s.scrollHeight - s.clientHeight;
    s.scrollTop = Math.max(0, Math.min(bottom, answerAnchor(view)));
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
    if (follow) followAnswer(view);
  }

  function shortTitle(c) {
    return (c && (shortTitles[c.doc_id] || c.title || c.doc_id)) || "";
  }

  /** "[1] 武汉工作方案 二、 (四) 4." — the chip's visible text. */
  function citationLabel(c, i) {
    const section = c && c.section ? ` ${c.section}` : "";
    return `[${i + 1}] ${shortTitle(c)}${section}`;
  }

  /** "《full title》 section heading" — on hover or focus, and for assistive technology. */
  function citationFullLabel(c) {
    const title = c && c.title ? `《${c.title}》` : "";
    return [title, c && c.section, c && c.heading].filter(Boolean).join(" ");
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
      ref.setAttribute("aria-label", `查看引用 ${n}：${citationFullLabel(cites[n - 1])}`);
      ref.title = citationFullLabel(cites[n - 1]);
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
      const list = el("ul", "citation-list");
      list.setAttribute("aria-label", heading.textContent);
      cites.forEach((c, i) => {
        const item = el("li", "citation-item");
        const chip = el("button", "citation-chip", citationLabel(c, i));
        chip.type = "button";
        chip.dataset.index = String(i);
        const tip = el("span", "chip-tip", citationFullLabel(c));
        tip.id = `chip-tip-${++state.tips}`;
        tip.setAttribute("role", "tooltip");
        chip.setAttribute("aria-describedby", tip.id);
        item.append(chip, tip);
        list.appendChild(item);
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
    copy.title = "复制回答及出处（Markdown）";
    copy.setAttribute("aria-label", "复制回答及出处（Markdown 格式）");
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
    comment.setAttribute("aria-label", "反馈意见（可选，随评价一并提交，评价后也可补充）");
    const sendComment = el("button", "btn btn-small feedback-send-comment", "提交意见");
    sendComment.type = "button";
    sendComment.hidden = true;
    const status = el("span", "action-status");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    bar.append(copy, up, down, comment, sendComment, status);
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
    view.msg._turn = { question: view.question, answer: view.answer, citations: view.citations,
                       abstained: view.abstained };
    renderActions(view);
    state.history.push({ question: view.question, answer: view.answer });
    if (state.history.length > MAX_HISTORY) state.history.splice(0, state.history.length - MAX_HISTORY);
    if (follow) followAnswer(view);
    updateExport();
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
        if (follow) followAnswer(view);
      } else if (event === "done") {
        finalizeAnswer(view, payload && payload.answer);
        release();
      } else if (event === "error") {
        failAnswer(view, PA.localizeError(payload && payload.error ? String(payload.error) : "", 500));
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
    updateExport();
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

  /* ------------------------------------------------------------------ */
  /* Markdown: one answer with its sources, or the whole conversation    */
  /* ------------------------------------------------------------------ */

  function sourcesMarkdown(turn) {
    const cites = Array.isArray(turn.citations) ? turn.citations : [];
    if (!cites.length) return "";
    const lines = [turn.abstained ? "相近条款（仅供参考）：" : "来源："];
    cites.forEach((c, i) => {
      const section = c.section ? ` ${c.section}` : "";
      lines.push(`- [${i + 1}] 《${c.title || c.doc_id}》${section}：“${c.quote || ""}”`);
    });
    return lines.join("\n");
  }

  /** The answer keeps its [n] markers and ends with the sources they point at. */
  function answerMarkdown(turn) {
    const sources = sourcesMarkdown(turn);
    return sources ? `${turn.answer}\n\n${sources}` : turn.answer;
  }

  function finishedTurns() {
    return Array.from(els.messages.querySelectorAll(".message.assistant"))
      .map((m) => m._turn)
      .filter(Boolean);
  }

  function conversationMarkdown() {
    const now = new Date();
    const stamp = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
    const parts = [`# 政策问答记录（${stamp}）`];
    for (const turn of finishedTurns()) parts.push(`## 问：${turn.question}`, answerMarkdown(turn));
    return `${parts.join("\n\n")}\n`;
  }

  function updateExport() {
    if (els.exportConversation) els.exportConversation.disabled = finishedTurns().length === 0;
  }

  function exportConversation() {
    if (!finishedTurns().length) return;
    const blob = new Blob([conversationMarkdown()], { type: "text/markdown;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `政策问答记录-${new Date().toISOString().slice(0, 10)}.md`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  async function copyAnswer(msg, button) {
    const turn = msg._turn;
    if (!turn) return;
    const text = answerMarkdown(turn);
    let ok = false;
    try {
      if (navigator.clipboard && navigator.clipboard.writeText) {
        await navigator.clipboard.writeText(text);
        ok = true;
      }
    } catch (_) {
      ok = false;
    }
    if (!ok) {
      try {
        const ta = document.createElement("textarea");
        ta.value = text;
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
    } else {
      flashStatus(msg, "复制失败，请手动选择文字复制");
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
      const created = await response.json().catch(() => null);
      msg._feedbackId = created && Number.isInteger(created.id) ? created.id : null;
      msg.classList.add("feedback-sent");
      const chosen = msg.querySelector(rating === "up" ? ".feedback-up" : ".feedback-down");
      if (chosen) {
        chosen.classList.add("chosen");
        chosen.setAttribute("aria-pressed", "true");
      }
      if (input && msg._feedbackId !== null) {
        // The box stays open: a reason can still be added after rating.
        input.value = "";
        input.placeholder = comment ? "还可以继续补充意见" : "补充原因（可选）";
        const send = msg.querySelector(".feedback-send-comment");
        if (send) send.hidden = false;
      } else if (input) {
        input.disabled = true;
      }
      flashStatus(msg, comment ? "已收到评价和意见" : "已收到评价，可在输入框补充原因");
    } catch (err) {
      buttons.forEach((b) => {
        b.disabled = false;
      });
      flashStatus(msg, `反馈提交失败：${PA.describeError(err)}`);
    } finally {
      msg._sending = false;
    }
  }

  /** A reason added after rating (POST /api/feedback/{id}/comment). */
  async function sendComment(msg) {
    const input = msg.querySelector(".feedback-comment");
    const comment = input ? input.value.trim() : "";
    if (!comment || msg._feedbackId === null || msg._feedbackId === undefined || msg._sending) {
      if (!comment) flashStatus(msg, "请先在输入框填写意见");
      return;
    }
    msg._sending = true;
    try {
      const response = await fetch(`/api/feedback/${msg._feedbackId}/comment`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ comment }),
      });
      if (!response.ok) throw new Error(await readError(response));
      input.value = "";
      input.placeholder = "还可以继续补充意见";
      flashStatus(msg, "已收到补充的意见");
    } catch (err) {
      flashStatus(msg, `意见提交失败：${PA.describeError(err)}`);
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
  if (els.exportConversation) els.exportConversation.addEventListener("click", exportConversation);

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
    else if (target.closest(".feedback-send-comment")) sendComment(msg);
  });

  els.messages.addEventListener("keydown", (e) => {
    const target = e.target;
    if (!(target instanceof Element)) return;
    if (target.classList.contains("citation-ref") && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      panel.open(citationFor(target), target);
    } else if (target.classList.contains("feedback-comment") && e.key === "Enter" && !e.isComposing) {
      e.preventDefault(); // before rating: nothing is sent by accident; after rating: Enter adds the reason
      const msg = target.closest(".message.assistant");
      if (msg && msg.classList.contains("feedback-sent")) sendComment(msg);
    }
  });

  setBusy(false);
  showExamples(true);
  autosize();
  updateExport();
})();
