/* The caseworkers' and approvers' workbench: open leads and their consent, approvals waiting, appeals, recipients,
   payment runs with a live progress bar. Every call goes to the API with the login's HttpOnly cookie (same origin);
   the API's role table decides, the page only hides what the signed-in role does not handle. */
"use strict";
(function () {
  const J = window.Jointaid;
  const $ = (id) => document.getElementById(id);
  const ROLE = document.body.dataset.role;
  const PURPOSE = "workbench: " + ROLE + " handling the case";
  const cell = (text, attrs) => J.el("td", attrs, text);
  let consentLead = null;
  let runsTimer = null;

  function status(section, text) {
    $(section).querySelector(".status-line").textContent = text || "";
  }

  function rowsOr(table, rows, columns) {
    $(table).tBodies[0].replaceChildren(...(rows.length ? rows : [J.el("tr", {}, J.el("td", {colspan: columns}, J.t("wb.none")))]));
  }

  async function listed(section, path) {
    const answer = await J.api("GET", path);
    if (answer.status === 200) { status(section, ""); return answer.body; }
    status(section, answer.status === 403 ? J.t("wb.not_for_role") : J.t("error.server"));
    return null;
  }

  /* ---- leads and the household's consent ---- */

  async function loadLeads() {
    const found = await listed("leads", `/v1/leads?status=open&limit=100&purpose=${encodeURIComponent(PURPOSE)}`);
    if (!found) return;
    rowsOr("leads-table", found.leads.map((lead) => {
      const why = J.el("td", {class: "reason"}, ...lead.rules.map((rule) =>
        J.el("div", {class: "rule"}, J.el("strong", {"data-rule": rule.rule}, J.label("rule.", rule.rule)), "：", J.state.lang === "zh" ? rule.figures_zh : rule.figures)));
      const button = J.el("button", {type: "button", class: "consent-open", "aria-describedby": `lead-${lead.lead_id}`},
                          J.t("wb.consent"));
      button.addEventListener("click", () => openConsent(lead));
      return J.el("tr", {class: "lead", "data-id": lead.lead_id}, cell(lead.lead_id, {class: "mono", id: `lead-${lead.lead_id}`}), cell(lead.region_code),
                  cell(lead.household.members), cell(J.when(lead.raised_at)), why, J.el("td", {}, ROLE === "caseworker" ? button : "—"));
    }), 6);
  }

  function localNow() {
    const now = new Date(Date.now() - 60_000);  // a minute ago: never "in the future" on a slightly fast clock
    return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  }

  function openConsent(lead) {
    consentLead = lead;
    const form = $("consent-form");
    form.hidden = false;
    J.clearFieldErrors(form, $("consent-errors"));
    $("consent-title").textContent = J.t("wb.consent_for", {id: lead.lead_id});
    if (!$("c-at").value) $("c-at").value = localNow();
    $("consent-result").textContent = "";
    $("consent-title").focus();
  }

  async function recordConsent(event) {
    event.preventDefault();
    if (!consentLead) return;
    const given = $("c-given").checked;
    const at = $("c-at").value ? new Date($("c-at").value).toISOString() : "";
    const body = {given, channel: $("c-channel").value, at};
    if (given) {
      body.phone = $("c-phone").value.trim();
      body.payout_account = {kind: $("c-account-kind").value, number: $("c-account").value.trim()};
      if ($("c-name").value.trim()) body.applicant_name = $("c-name").value.trim();
    }
    const answer = await J.api("POST", `/v1/leads/${consentLead.lead_id}/consent`, {body});
    const form = $("consent-form");
    if (answer.status === 201 || answer.status === 200) {
      J.clearFieldErrors(form, $("consent-errors"));
      form.hidden = true;
      form.reset();
      consentLead = null;
      await loadLeads();  // the list first: when the result is announced, the lead is already off it
      $("consent-result").textContent = answer.body.given ? J.t("wb.consent_done", {id: answer.body.application_id})
                                                          : J.t("wb.consent_refused_done");
      $("consent-result").dataset.applicationId = answer.body.application_id || "";
      return;
    }
    J.showFieldErrors(form, Array.isArray(answer.body) ? answer.body : [{field: "", message: J.t("error.server"), translated: true}],
                      $("consent-errors"));
  }

  /* ---- approvals ---- */

  async function loadApprovals() {
    const found = await listed("approvals", "/v1/approvals?status=pending&limit=100");
    if (!found) return;
    rowsOr("approvals-table", found.approvals.map((waiting) => {
      const id = waiting.application_id;
      const note = J.el("input", {id: `note-${id}`, "aria-label": J.t("wb.note_for", {id}), autocomplete: "off"});
      const decide = (approve) => J.el("button", {type: "button", class: approve ? "approve" : "refuse",
                                                  "aria-describedby": `approval-${id}`},
                                       J.t(approve ? "wb.approve" : "wb.refuse"));
      const [yes, no] = [decide(true), decide(false)];
      const outcome = J.el("p", {class: "field-error", id: `approval-${id}-result`, role: "status"});
      yes.addEventListener("click", () => approve(id, true, note.value, outcome));
      no.addEventListener("click", () => approve(id, false, note.value, outcome));
      const actions = ROLE === "approver" ? J.el("div", {class: "row-actions"}, note, yes, no) : "—";
      return J.el("tr", {class: "approval", "data-id": id}, cell(id, {class: "mono", id: `approval-${id}`}),
                  cell(J.fenToYuan(waiting.total_fen), {class: "money"}), cell(J.fenToYuan(waiting.threshold_fen), {class: "money"}),
                  cell(J.when(waiting.requested_at)), J.el("td", {}, actions, outcome));
    }), 5);
  }

  async function approve(id, yes, note, outcome) {
    const answer = await J.api("POST", `/v1/applications/${id}/approval`, {body: {approve: yes, note}});
    if (answer.status === 200) return loadApprovals();
    outcome.textContent = Array.isArray(answer.body) ? answer.body.map((e) => e.message).join("; ") : J.t("error.server");
  }

  /* ---- appeals, recipients, payment runs ---- */

  async function loadAppeals() {
    const found = await listed("appeals", "/v1/appeals?limit=100");
    if (!found) return;
    rowsOr("appeals-table", found.appeals.map((a) => J.el("tr", {class: "appeal", "data-id": a.appeal_id},
      cell(a.application_id, {class: "mono"}), cell(J.t("layer." + a.layer)),
      cell(J.t(a.status === "filed" ? "appeal.filed_status" : "appeal." + a.status)),
      cell(J.fenToYuan(a.supplement_fen), {class: "money"}), cell(J.when(a.filed_at)))), 5);
  }

  async function loadRecipients() {
    const found = await listed("recipients", `/v1/recipients?limit=50&purpose=${encodeURIComponent(PURPOSE)}`);
    if (!found) return;
    rowsOr("recipients-table", found.recipients.map((r) => J.el("tr", {class: "recipient", "data-id": r.recipient_id},
      cell(r.recipient_id, {class: "mono"}), cell(r.status), cell(J.fenToYuan(r.monthly_amount_fen), {class: "money"}),
      cell((r.members || []).length), cell(r.region_code || ""), cell(r.next_review_on || ""))), 6);
  }

  async function loadRuns() {
    clearTimeout(runsTimer);
    const found = await listed("runs", "/v1/payment-runs?limit=20");
    if (!found) return;
    rowsOr("runs-table", found.runs.map((run) => {
      const done = (run.paid || 0) + (run.failed || 0);
      const households = run.households || 0;  // null until caseload has counted them
      const full = run.status === "done" && households === 0;  // a run with nobody to pay is complete
      const bar = J.el("progress", {max: String(households || 1), value: String(full ? 1 : done),
                                    "aria-label": `${J.t("run." + run.kind)} ${run.period}`});
      return J.el("tr", {class: "run", "data-id": run.run_id, "data-status": run.status}, cell(J.t("run." + run.kind)),
                  cell(run.period), cell(J.t("run." + run.status)), J.el("td", {}, bar),
                  cell(`${run.paid} / ${run.failed} / ${run.households === null ? "…" : run.households}`, {class: "counts"}),
                  cell(J.fenToYuan(run.total_fen), {class: "money"}));
    }), 6);
    if (found.runs.some((run) => run.status === "running")) runsTimer = setTimeout(loadRuns, 1000);  // the live bar
  }

  const LOADERS = {leads: loadLeads, approvals: loadApprovals, appeals: loadAppeals, recipients: loadRecipients, runs: loadRuns};

  function mine(section) {
    return section.dataset.roles.split(" ").includes(ROLE);
  }

  function loadAll() {
    document.querySelectorAll("section[data-roles]").forEach((section) => { if (mine(section)) LOADERS[section.id](); });
  }

  function start() {
    document.querySelectorAll("section[data-roles]").forEach((section) => {
      section.hidden = !mine(section);
      const link = document.querySelector(`nav a[href="#${section.id}"]`);
      if (link) link.hidden = section.hidden;
    });
    const who = () => { $("signed-in").textContent = J.t("wb.signed_in", {subject: document.body.dataset.subject,
                                                                          role: J.label("role.", ROLE)}); };
    J.applyI18n();
    who();
    J.setupLanguageSwitch($("lang"));
    J.onSwitch(() => { who(); loadAll(); });
    $("consent-form").addEventListener("submit", recordConsent);
    document.querySelector(".skip").addEventListener("click", (event) => { event.preventDefault(); $("main").focus(); });
    loadAll();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
