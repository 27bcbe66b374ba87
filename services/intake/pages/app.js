/* The citizen page: consent, the application form, then following the application with its token.
   The token lives in the URL fragment (#/applications/{id}?token=...): browsers never send a fragment to a server,
   so it reaches no server log; this script sends it only in the Authorization header. */
"use strict";
(function () {
  const J = window.Jointaid;
  const $ = (id) => document.getElementById(id);
  const FINAL = ["notified", "rejected"];
  const APPEAL_FINAL = ["upheld", "revised"];
  const DIAGNOSES = ["uremia", "leukemia", "malignant_tumor", "organ_transplant", "severe_burn", "congenital_heart_disease"];
  const PURPOSE = "the citizen follows their own application";
  let consentAt = null;
  let following = null;  // {id, token, timer}

  function options(select, values, prefix, empty) {
    select.replaceChildren(...(empty ? [J.el("option", {value: "", "data-i18n": empty})] : []),
      ...values.map((v) => J.el("option", {value: v, "data-i18n": prefix + v})));
  }

  function fillChoices(root) {
    root.querySelectorAll("select.grade").forEach((s) => options(s, ["1", "2", "3", "4"], "grade.", "none"));
    root.querySelectorAll("select.care").forEach((s) => options(s, ["self_care", "semi_disabled", "disabled"], "care.", "unknown"));
    root.querySelectorAll("select.diagnosis").forEach((s) => options(s, DIAGNOSES, "dx.", "none"));
  }

  /* ---- household members and bills: rows numbered as the API numbers them ---- */

  function renumber(container, kind) {
    Array.from(container.children).forEach((row, index) => {
      const position = kind === "member" ? index + 1 : index;  // the applicant is member 0
      const base = kind === "member" ? `household.members.${position}` : `needs.medical_bills.${position}`;
      const title = row.querySelector("legend");
      title.dataset.i18n = kind === "member" ? "member.n" : "bill.n";
      title.dataset.i18nVars = JSON.stringify({n: kind === "member" ? position + 1 : position + 1});
      row.querySelectorAll("[data-key]").forEach((input) => {
        const id = `${kind}-${position}-${input.dataset.key}`;
        const label = row.querySelector(`label[data-for="${input.dataset.key}"]`);
        const note = input.parentElement.querySelector(".field-error");
        input.id = id; label.htmlFor = id; note.id = id + "-error";
        input.setAttribute("aria-describedby", note.id);
        input.dataset.paths = `${base}.${input.dataset.key}` + (input.dataset.key === "id_number" ? ` ${base}` : "");
      });
      row.querySelector(".remove").setAttribute("aria-describedby", title.id = `${kind}-${position}-title`);
    });
    J.applyI18n(container);
    if (kind === "member") refreshPatients();
  }

  function addRow(kind) {
    const container = $(kind === "member" ? "members" : "bills");
    const row = $(kind + "-template").content.firstElementChild.cloneNode(true);
    fillChoices(row);
    row.querySelector(".remove").addEventListener("click", () => { row.remove(); renumber(container, kind); });
    container.append(row);
    if (kind === "bill") refreshPatients(row);
    renumber(container, kind);
    row.querySelector("input, select").focus();
  }

  function members() {
    return Array.from($("members").children);
  }

  /* A bill names its patient by ID number; the form offers the household by position. */
  function refreshPatients(only) {
    const names = [$("f-name").value || J.t("applicant.legend"), ...members().map((row, i) =>
      row.querySelector('[data-key="name"]').value || J.t("member.n", {n: i + 2}))];
    (only ? [only] : Array.from($("bills").children)).forEach((bill) => {
      const select = bill.querySelector('[data-key="member_id_number"]');
      const chosen = select.value;
      select.replaceChildren(...names.map((name, i) => J.el("option", {value: String(i)}, name)));
      if (chosen && Number(chosen) < names.length) select.value = chosen;
    });
  }

  /* ---- the application body ---- */

  function money(input, errors) {
    const fen = J.yuanToFen(input.value);
    if (Number.isNaN(fen)) errors.push({field: input.dataset.paths.split(" ")[0], message: J.t("money.format"), translated: true});
    return fen;
  }

  function optional(value) {
    return value === "" ? undefined : value;
  }

  function memberOf(fields, errors) {
    const member = {id_number: fields.id_number.value.trim(), name: fields.name.value, relation: fields.relation,
                    monthly_income_fen: money(fields.income, errors) ?? undefined,
                    disability_grade: fields.grade.value ? Number(fields.grade.value) : undefined,
                    care_level: optional(fields.care.value), diagnoses: fields.diagnosis.value ? [fields.diagnosis.value] : []};
    return member;
  }

  function body(errors) {
    const household = [memberOf({id_number: $("f-id"), name: $("f-name"), relation: "self", income: $("f-income"),
                                 grade: $("f-disability"), care: $("f-care"), diagnosis: $("f-diagnosis")}, errors)];
    for (const row of members()) {
      const key = (k) => row.querySelector(`[data-key="${k}"]`);
      household.push(memberOf({id_number: key("id_number"), name: key("name"), relation: key("relation").value,
                               income: key("monthly_income_fen"), grade: key("disability_grade"), care: key("care_level"),
                               diagnosis: key("diagnoses")}, errors));
    }
    const bills = Array.from($("bills").children).map((row) => {
      const key = (k) => row.querySelector(`[data-key="${k}"]`);
      return {member_id_number: household[Number(key("member_id_number").value)].id_number,
              total_fen: money(key("total_fen"), errors) ?? 0, basic_reimbursed_fen: money(key("basic_reimbursed_fen"), errors) ?? 0,
              covered_oop_fen: money(key("covered_oop_fen"), errors) ?? 0, diagnosis: optional(key("diagnosis").value)};
    });
    const emergencyKind = $("f-em-kind").value;
    const vehicle = $("f-vehicle").value;
    return {
      applicant_id_number: $("f-id").value.trim(), applicant_name: $("f-name").value, phone: $("f-phone").value.trim(),
      region_code: $("f-region").value.trim(), residence: $("f-residence").value, channel: "online",
      consent: {given: true, at: consentAt, channel: "online"},
      household: {members: household, financial_assets_fen: money($("f-assets"), errors) ?? undefined,
                  owns_vehicle: vehicle === "" ? undefined : vehicle === "true", has_supporter: $("f-supporter").value === "true"},
      needs: {medical_bills: bills,
              emergency: emergencyKind ? {kind: emergencyKind, loss_fen: money($("f-em-loss"), errors) ?? 0,
                                          occurred_on: $("f-em-date").value} : null,
              services: Array.from($("services").querySelectorAll("input:checked")).map((box) => box.value)},
      payout_account: {kind: $("f-account-kind").value, number: $("f-account").value.trim()},
      language: J.state.lang,
    };
  }

  function showErrors(form, errors, general) {
    J.showFieldErrors(form, errors, general);
  }

  async function submit(event) {
    event.preventDefault();
    const form = $("apply-form");
    if (!$("f-consent").checked) {  // consent first: nothing leaves the page without it
      showErrors(form, [{field: "consent", message: J.t("consent.required"), translated: true}], $("apply-errors"));
      return;
    }
    const errors = [];
    const application = body(errors);
    if (errors.length) { showErrors(form, errors, $("apply-errors")); return; }
    const button = $("submit");
    button.disabled = true;
    button.textContent = J.t("sending");
    try {
      const answer = await J.api("POST", "/v1/applications", {body: application});
      if (answer.status === 202) return submitted(answer.body);
      if (Array.isArray(answer.body)) showErrors(form, answer.body, $("apply-errors"));
      else showErrors(form, [{field: "", message: J.t("error.server"), translated: true}], $("apply-errors"));
    } catch (e) {
      showErrors(form, [{field: "", message: J.t("error.network"), translated: true}], $("apply-errors"));
    } finally {
      button.disabled = false;
      button.textContent = J.t("submit");
    }
  }

  function linkOf(id, token) {
    return `#/applications/${id}?token=${encodeURIComponent(token)}`;
  }

  function submitted(answer) {
    const link = linkOf(answer.application_id, answer.access_token);
    $("submitted-id").textContent = answer.application_id;
    $("submitted-link").href = link;
    $("submitted-link").textContent = location.origin + "/" + link;
    $("submitted-open").href = link;
    show("submitted-view");
    $("submitted-title").focus();
  }

  /* ---- following one application ---- */

  function parseHash() {
    const match = /^#\/applications\/([0-9a-fA-F-]{36})(?:\?(.*))?$/.exec(location.hash);
    if (!match) return null;
    return {id: match[1], token: new URLSearchParams(match[2] || "").get("token") || ""};
  }

  function cell(text, attrs) {
    return J.el("td", attrs, text);
  }

  function renderView(view) {
    $("app-status").textContent = J.t("status." + view.status);
    $("app-status").dataset.status = view.status;
    $("notice").textContent = view.notification ? view.notification.text : J.t("notice.none");
    $("decisions").tBodies[0].replaceChildren(...view.decisions.map((d) => J.el("tr", {class: "decision"},
      cell(J.label("dept.", d.department)), cell(J.label("prog.", d.program), {"data-program": d.program}), cell(J.t("outcome." + d.outcome), {class: d.outcome}),
      cell(J.fenToYuan(d.amount_fen), {class: "money"}))));
    $("payments").tBodies[0].replaceChildren(...(view.payments || []).map((p) => J.el("tr", {class: "payment"},
      cell(J.t("kind." + p.kind)), cell(J.fenToYuan(p.total_fen), {class: "money"}), cell(J.label("pay.", p.status)))));
    $("referrals-box").hidden = !(view.referrals || []).length;
    $("referrals").replaceChildren(...(view.referrals || []).map((r) => J.el("li", {}, `${J.t("svc." + r.service)} · ${r.provider} · ${r.status}`)));
    $("appeal").hidden = view.status !== "notified" || !!view.rejection;
  }

  async function load() {
    if (!following) return;
    const {id, token} = following;
    let answer;
    try {
      answer = await J.api("GET", `/v1/applications/${id}?purpose=${encodeURIComponent(PURPOSE)}`, {token});
    } catch (e) {
      $("follow-message").textContent = J.t("error.network");
      return schedule();
    }
    if (following === null || following.id !== id) return;
    if (answer.status === 401 || answer.status === 403) { $("follow-message").textContent = J.t("follow.refused"); return; }
    if (answer.status === 404) { $("follow-message").textContent = J.t("follow.missing"); return; }
    if (answer.status !== 200) { $("follow-message").textContent = J.t("error.server"); return schedule(); }
    following.view = answer.body;
    $("follow-message").textContent = "";
    $("application").hidden = false;
    renderView(answer.body);
    await loadReads();
    await loadAppeal();
    if (!FINAL.includes(answer.body.status)) schedule();
  }

  function schedule() {
    if (!following) return;
    clearTimeout(following.timer);
    following.timer = setTimeout(load, 2000);
  }

  /* Who has read my data: staff reads one by one; my own reads of my page counted in one line. */
  async function loadReads() {
    const {id, token} = following;
    const answer = await J.api("GET", `/v1/applications/${id}/access-log?limit=500`, {token});
    if (answer.status !== 200) return;
    const staff = answer.body.entries.filter((e) => e.role !== "citizen");
    const own = answer.body.entries.length - staff.length;
    const rows = staff.map((e) => J.el("tr", {class: "read"}, cell(J.when(e.at)), cell(J.t("role." + e.role)),
      cell(J.label("role.", e.department)),
      cell(J.label("what.", e.what)), cell(e.purpose || J.t("reads.no_purpose"))));
    if (own) rows.push(J.el("tr", {class: "read own"}, cell("—"), cell(J.t("role.citizen")), cell("—"),
      cell(`${J.t("what.application")} × ${own}`), cell(J.t("reads.own"))));
    $("reads-table").tBodies[0].replaceChildren(...(rows.length ? rows : [J.el("tr", {}, J.el("td", {colspan: 5}, J.t("reads.none")))]));
  }

  function appealKey(id) {
    return "jointaid.appeal." + id;
  }

  async function loadAppeal() {
    const appealId = localStorage.getItem(appealKey(following.id));
    if (!appealId) return;
    const answer = await J.api("GET", `/v1/appeals/${appealId}`, {token: following.token});
    if (answer.status !== 200) return;
    const appeal = answer.body;
    const status = appeal.status === "filed" ? "appeal.filed_status" : "appeal." + appeal.status;
    const parts = [J.el("p", {}, J.t("appeal.filed", {id: appealId})),
      J.el("p", {id: "appeal-status", "data-status": appeal.status}, `${J.t("appeal.status")}：${J.t(status)}`)];
    if (appeal.supplement_fen) parts.push(J.el("p", {id: "appeal-supplement"}, `${J.t("appeal.supplement")}：${J.fenToYuan(appeal.supplement_fen)}`));
    if (appeal.notice && appeal.notice.text) parts.push(J.el("pre", {class: "notice", id: "appeal-notice"}, appeal.notice.text));
    $("appeal-result").replaceChildren(...parts);
    if (!APPEAL_FINAL.includes(appeal.status) || !appeal.notice) {
      clearTimeout(following.appealTimer);
      following.appealTimer = setTimeout(() => following && loadAppeal(), 2000);
    }
  }

  async function fileAppeal(event) {
    event.preventDefault();
    const form = $("appeal-form");
    const errors = [];
    const income = money($("a-income"), errors);
    if (errors.length) { showErrors(form, errors, $("appeal-errors")); return; }
    const facts = {};
    if ($("a-member").value) facts.members = [{member: Number($("a-member").value), monthly_income_fen: income ?? undefined}];
    if ($("a-supporter").value) facts.has_supporter = $("a-supporter").value === "true";
    const appeal = {layer: Number($("a-layer").value), grounds: $("a-grounds").value, facts};
    const answer = await J.api("POST", `/v1/applications/${following.id}/appeals`, {token: following.token, body: appeal});
    if (answer.status === 202) {
      J.clearFieldErrors(form, $("appeal-errors"));
      localStorage.setItem(appealKey(following.id), answer.body.appeal_id);
      return loadAppeal();
    }
    showErrors(form, Array.isArray(answer.body) ? answer.body : [{field: "", message: J.t("error.server"), translated: true}],
               $("appeal-errors"));
  }

  function follow(id, token) {
    if (following) { clearTimeout(following.timer); clearTimeout(following.appealTimer); }
    following = {id, token};
    $("follow-id").value = id;
    $("follow-token").value = token;
    $("application").hidden = true;
    $("appeal-result").replaceChildren();
    $("follow-message").textContent = J.t("follow.loading");
    load();
  }

  /* ---- views ---- */

  function show(view) {
    for (const name of ["apply-view", "submitted-view", "follow-view"]) $(name).hidden = name !== view;
    $("nav-apply").toggleAttribute("aria-current", view === "apply-view");
    $("nav-follow").toggleAttribute("aria-current", view === "follow-view");
  }

  function route() {
    const target = parseHash();
    if (target) {
      show("follow-view");
      if (!following || following.id !== target.id || following.token !== target.token) follow(target.id, target.token);
      $("follow-title").focus();
    } else if (location.hash === "#/follow") {
      show("follow-view");
    } else {
      show("apply-view");
    }
  }

  function memberChoices() {
    const select = $("a-member");
    const chosen = select.value;
    select.replaceChildren(J.el("option", {value: "", "data-i18n": "none"}),
      ...Array.from({length: 10}, (_, i) => J.el("option", {value: String(i + 1), "data-i18n": "member.n",
                                                            "data-i18n-vars": JSON.stringify({n: i + 1})})));
    select.value = chosen;
  }

  function start() {
    fillChoices(document);
    memberChoices();
    J.applyI18n();
    J.setupLanguageSwitch($("lang"));
    J.onSwitch(() => { refreshPatients(); if (following && following.view) { renderView(following.view); loadReads(); } });
    $("f-consent").addEventListener("change", () => { consentAt = $("f-consent").checked ? new Date().toISOString() : null; });
    $("add-member").addEventListener("click", () => addRow("member"));
    $("add-bill").addEventListener("click", () => addRow("bill"));
    $("members").addEventListener("input", () => refreshPatients());
    $("f-name").addEventListener("input", () => refreshPatients());
    $("apply-form").addEventListener("submit", submit);
    $("appeal-form").addEventListener("submit", fileAppeal);
    $("follow-form").addEventListener("submit", (event) => {
      event.preventDefault();
      location.hash = linkOf($("follow-id").value.trim(), $("follow-token").value.trim());
    });
    document.querySelector(".skip").addEventListener("click", (event) => {  // keep the fragment (it may hold the token)
      event.preventDefault();
      $("main").focus();
    });
    window.addEventListener("hashchange", route);
    route();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
