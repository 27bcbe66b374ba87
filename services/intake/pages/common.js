/* What the citizen page and the workbench share: words by language, money in fen, calling the API, field errors. */
"use strict";
(function () {
  const I18N = window.JOINTAID_I18N;
  const LANG_KEY = "jointaid.lang";
  const state = {lang: localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh", onSwitch: []};

  function t(key, vars) {
    let text = (I18N[state.lang] && I18N[state.lang][key]) || I18N.zh[key] || key;
    for (const [name, value] of Object.entries(vars || {})) text = text.split("{" + name + "}").join(String(value));
    return text;
  }

  /* Every element with data-i18n gets its words; data-i18n-attr="aria-label" puts them in that attribute instead. */
  function applyI18n(root) {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    (root || document).querySelectorAll("[data-i18n]").forEach((node) => {
      const text = t(node.dataset.i18n, node.dataset.i18nVars ? JSON.parse(node.dataset.i18nVars) : null);
      if (node.dataset.i18nAttr) node.setAttribute(node.dataset.i18nAttr, text); else node.textContent = text;
    });
    const title = document.querySelector("h1[data-i18n]");
    if (title) document.title = title.textContent;
  }

  function setupLanguageSwitch(button) {
    button.addEventListener("click", () => {
      state.lang = state.lang === "zh" ? "en" : "zh";
      localStorage.setItem(LANG_KEY, state.lang);
      button.lang = state.lang === "zh" ? "en" : "zh-CN";  // the button names the other language, in that language
      applyI18n();
      state.onSwitch.forEach((fn) => fn());
    });
    button.lang = state.lang === "zh" ? "en" : "zh-CN";
  }

  /* "1200.5" -> 120050; exact (string arithmetic, never a float); null for empty, NaN for a bad amount. */
  function yuanToFen(text) {
    const value = String(text || "").trim().replace(/,/g, "");
    if (value === "") return null;
    const match = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(value);
    if (!match) return NaN;
    return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
  }

  function fenToYuan(fen) {
    if (fen === null || fen === undefined) return "";
    const sign = fen < 0 ? "-" : "";
    const abs = Math.abs(fen);
    const yuan = Math.floor(abs / 100).toLocaleString("en-US");
    return `${sign}${yuan}.${String(abs % 100).padStart(2, "0")} ${state.lang === "zh" ? "元" : "yuan"}`;
  }

  /* The API's English refusal in the page's language (the API speaks English; the citizen may not). */
  function refusalText(message) {
    if (state.lang !== "zh") return message;
    if (I18N.errorsZh[message]) return I18N.errorsZh[message];
    const prefix = I18N.errorPrefixesZh.find(([start]) => message.startsWith(start));
    return prefix ? prefix[1] : t("error.generic");
  }

  /* fetch JSON; `token` (a citizen's) goes in the Authorization header, never in the URL. The workbench sends none:
     its HttpOnly cookie goes along (same origin). Answers {status, body}. */
  async function api(method, path, {token, body} = {}) {
    const headers = {"Accept": "application/json"};
    if (token) headers["Authorization"] = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {method, headers, credentials: "same-origin", cache: "no-store",
                                        body: body === undefined ? undefined : JSON.stringify(body)});
    let parsed = null;
    try { parsed = await response.json(); } catch (e) { parsed = null; }
    return {status: response.status, body: parsed};
  }

  /* Field errors beside their fields: an element whose data-paths lists the error's field (or its nearest parent
     path) gets the message under it; aria-invalid and aria-describedby tell a screen reader. Others go to `general`. */
  function showFieldErrors(form, errors, general) {
    clearFieldErrors(form, general);
    const unplaced = [];
    let shown = 0;
    for (const error of errors) {
      const target = fieldFor(form, String(error.field || ""));
      const text = error.translated ? String(error.message) : refusalText(String(error.message || ""));
      if (!target) { unplaced.push(text); continue; }
      const note = document.getElementById(target.id + "-error");
      if (note.hidden || !note.textContent.split("；").includes(text)) {
        note.textContent = note.hidden ? text : note.textContent + "；" + text;
      }
      note.hidden = false;
      if (target.getAttribute("aria-invalid") !== "true") shown += 1;
      target.setAttribute("aria-invalid", "true");
    }
    if (general) {
      const lines = [shown ? t("errors.some", {n: shown}) : null, ...unplaced].filter(Boolean);
      general.textContent = lines.join(" ");
      general.hidden = lines.length === 0;
    }
    const first = form.querySelector("[aria-invalid=true]");
    if (first) first.focus();
  }

  function fieldFor(form, field) {
    const parts = field.split(".");
    while (parts.length) {
      const path = parts.join(".");
      const found = Array.from(form.querySelectorAll("[data-paths]")).find((node) => node.dataset.paths.split(" ").includes(path));
      if (found) return found;
      parts.pop();
    }
    return null;
  }

  function clearFieldErrors(form, general) {
    form.querySelectorAll("[aria-invalid=true]").forEach((node) => node.removeAttribute("aria-invalid"));
    form.querySelectorAll(".field-error").forEach((note) => { note.hidden = true; note.textContent = ""; });
    if (general) { general.hidden = true; general.textContent = ""; }
  }

  /* A small element builder: el("td", {class: "x"}, "text", child) */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "dataset") Object.assign(node.dataset, value); else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /* The words for a value (prefix + value), or the value itself when there are none. */
  function label(prefix, value) {
    const key = prefix + value;
    const text = t(key);
    return text === key ? String(value) : text;
  }

  function when(iso) {
    if (!iso) return "";
    const at = new Date(iso);
    return isNaN(at) ? iso : at.toLocaleString(state.lang === "zh" ? "zh-CN" : "en-GB", {hour12: false});
  }

  window.Jointaid = {state, t, applyI18n, setupLanguageSwitch, yuanToFen, fenToYuan, refusalText, api, showFieldErrors,
                     clearFieldErrors, el, label, when, onSwitch: (fn) => state.onSwitch.push(fn)};
})();
