// leakwatch dashboard: live feed (SSE), filters, alert detail, triage, per-day chart.
// Every value from the server is put into the page as text (textContent), never as markup:
// URLs and sources come from crawled pages and may be hostile.
"use strict";

const CONFIDENCE_RANK = { low: 0, medium: 1, high: 2 };
const PAGE_SIZE = 100;

const state = {
  token: sessionStorage.getItem("leakwatch-token") || "",
  rows: new Map(),      // alert id -> <tr>
  alerts: new Map(),    // alert id -> stored alert
  cursor: null,
  selected: null,
  feed: null,
  lastSeq: 0,
  canTriage: true,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) {
    e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  }
  return e;
}

function showError(msg) {
  const p = $("error");
  p.textContent = msg || "";
  p.hidden = !msg;
}

async function api(path, options = {}) {
  const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  if (state.token) headers.Authorization = "Bearer " + state.token;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, Object.assign({}, options, { headers }));
  let body = null;
  try { body = await res.json(); } catch (_) { body = null; }
  if (!res.ok) {
    const why = body && body.error ? body.error : res.statusText;
    const err = new Error(res.status + " " + why);
    err.status = res.status;
    throw err;
  }
  return body;
}

// The stored alert as served: { alert: {...}, seq, status, first_seen_ms, ... }.
function wireOf(stored) { return stored.alert || stored; }

function fmtTime(ms) {
  if (!ms) return "";
  const d = new Date(ms);
  return d.toISOString().replace("T", " ").slice(0, 19) + "Z";
}

// ---- filters ---------------------------------------------------------------------------------

function filters() {
  const f = {};
  const c = $("f-confidence").value; if (c) f.min_confidence = c;
  const s = $("f-status").value; if (s) f.status = s;
  const src = $("f-source").value.trim(); if (src) f.source = src;
  const u = $("f-url").value.trim(); if (u) f.url_contains = u;
  const r = $("f-record").value.trim(); if (r) f.record = r;
  const since = $("f-since").value; if (since) f.since_ms = String(Date.now() - Number(since));
  return f;
}

function passes(stored, f) {
  const a = wireOf(stored);
  if (f.min_confidence && CONFIDENCE_RANK[a.confidence] < CONFIDENCE_RANK[f.min_confidence]) return false;
  if (f.status && stored.status !== f.status) return false;
  if (f.source && a.source !== f.source) return false;
  if (f.url_contains && !a.url.includes(f.url_contains)) return false;
  if (f.record && a.record !== f.record) return false;
  if (f.since_ms && (stored.first_seen_ms || 0) < Number(f.since_ms)) return false;
  return true;
}

// ---- the list --------------------------------------------------------------------------------

function rowFor(stored) {
  const a = wireOf(stored);
  const tr = el("tr", { "data-id": a.id, "data-record": a.record, "data-status": stored.status });
  const status = el("span", { class: "status " + stored.status }, stored.status.replace("_", " "));
  const statusCell = el("td", { class: "status-cell" }, status);
  if (stored.suppressed) statusCell.append(" ", el("span", { class: "suppressed", title: "already alerted for this URL within the suppression window" }, "(suppressed)"));
  tr.append(
    el("td", {}, fmtTime(stored.first_seen_ms)),
    el("td", {}, el("span", { class: "conf " + a.confidence }, a.confidence)),
    statusCell,
    el("td", { class: "ref" }, a.record),
    el("td", {}, (a.fields || []).join(", ")),
    el("td", {}, a.source),
    el("td", { class: "url", title: a.url }, a.url),
  );
  tr.addEventListener("click", () => select(a.id));
  return tr;
}

function putRow(stored, { prepend = false, fresh = false } = {}) {
  const a = wireOf(stored);
  state.alerts.set(a.id, stored);
  const tr = rowFor(stored);
  if (fresh) tr.classList.add("fresh");
  if (a.id === state.selected) tr.classList.add("selected");
  const old = state.rows.get(a.id);
  const body = $("alert-rows");
  if (old) old.replaceWith(tr);
  else if (prepend) body.prepend(tr);
  else body.append(tr);
  state.rows.set(a.id, tr);
  $("empty").hidden = state.rows.size > 0;
}

async function loadList(append = false) {
  const q = new URLSearchParams(filters());
  q.set("limit", String(PAGE_SIZE));
  if (append && state.cursor) q.set("cursor", state.cursor);
  try {
    const page = await api("/api/alerts?" + q.toString());
    if (!append) {
      $("alert-rows").replaceChildren();
      state.rows.clear();
      state.alerts.clear();
    }
    for (const s of page.alerts || []) {
      putRow(s);
      state.lastSeq = Math.max(state.lastSeq, s.seq || 0);
    }
    state.cursor = page.next_cursor || null;
    $("more").hidden = !state.cursor;
    $("empty").hidden = state.rows.size > 0;
    showError("");
  } catch (e) {
    showError("Loading alerts failed: " + e.message + (e.status === 401 ? " (enter a token)" : ""));
  }
}

// ---- live feed -------------------------------------------------------------------------------

function startFeed() {
  if (state.feed) state.feed.close();
  const q = new URLSearchParams();
  // EventSource cannot send an Authorization header: the token goes in the query (served over
  // loopback or TLS; the server never logs query strings).
  if (state.token) q.set("access_token", state.token);
  if (state.lastSeq) q.set("after", String(state.lastSeq));
  const src = new EventSource("/api/stream" + (q.toString() ? "?" + q.toString() : ""));
  state.feed = src;
  const onAlert = (ev) => {
    let stored;
    try { stored = JSON.parse(ev.data); } catch (_) { return; }
    const seq = Number(ev.lastEventId || stored.seq || 0);
    state.lastSeq = Math.max(state.lastSeq, seq);
    if (passes(stored, filters())) putRow(stored, { prepend: true, fresh: true });
    scheduleChart();
  };
  src.addEventListener("alert", onAlert);
  src.onmessage = onAlert;
  src.onopen = () => { const f = $("feed-state"); f.textContent = "feed: live"; f.className = "feed on"; };
  src.onerror = () => { const f = $("feed-state"); f.textContent = "feed: reconnecting…"; f.className = "feed off"; };
}

// ---- detail and triage -----------------------------------------------------------------------

async function select(id) {
  state.selected = id;
  for (const [rid, tr] of state.rows) tr.classList.toggle("selected", rid === id);
  $("detail").hidden = false;
  $("d-id").textContent = id;
  $("t-msg").textContent = "";
  try {
    const body = await api("/api/alerts/" + encodeURIComponent(id));
    renderDetail(body);
  } catch (e) {
    $("t-msg").textContent = "Loading the alert failed: " + e.message;
  }
}

function renderDetail(body) {
  const stored = body.alert && body.alert.alert ? body.alert : body;
  const audit = body.audit || stored.audit || [];
  const a = wireOf(stored);
  const dl = $("d-fields");
  dl.replaceChildren();
  const add = (k, v) => dl.append(el("dt", {}, k), el("dd", {}, v));
  add("Status", stored.status);
  add("Assignee", stored.assignee || "—");
  add("Confidence", a.confidence);
  add("Record", a.record);
  add("Fields", (a.fields || []).join(", "));
  add("Occurrences", a.occurrences);
  add("Records in page", a.page_records);
  add("Source", a.source);
  add("URL", a.url);
  add("Page hash", a.page_hash);
  add("Bundle", a.bundle_id);
  add("First seen", fmtTime(stored.first_seen_ms));
  add("Last seen", fmtTime(stored.last_seen_ms));
  add("Suppressed", stored.suppressed ? "yes (no re-notification)" : "no");
  const spans = (a.spans || []).map((s) => s.kind + " @" + s.start + "–" + s.end).join(", ");
  add("Offsets", spans || "—");
  $("t-assignee").value = stored.assignee || "";
  const ol = $("d-audit");
  ol.replaceChildren();
  for (const e of audit) {
    const what = e.field === "note"
      ? "note: " + (e.new || "")
      : e.field + ": " + (e.old ?? "—") + " → " + (e.new ?? "—");
    ol.append(el("li", {}, fmtTime(e.at_ms) + " " + (e.actor || "") + " — " + what));
  }
  if (!audit.length) ol.append(el("li", {}, "no changes yet"));
  if (stored.status) {
    state.alerts.set(a.id, stored);
    if (state.rows.has(a.id)) putRow(stored);
  }
  setTriageEnabled(state.canTriage);
}

function setTriageEnabled(on) {
  for (const b of document.querySelectorAll("#triage button")) b.disabled = !on;
  $("t-assignee").disabled = !on;
  $("t-note").disabled = !on;
}

async function triage(change) {
  const id = state.selected;
  if (!id) return;
  $("t-msg").textContent = "saving…";
  try {
    await api("/api/alerts/" + encodeURIComponent(id), { method: "PATCH", body: JSON.stringify(change) });
    $("t-msg").textContent = "saved";
    await select(id);
    $("t-msg").textContent = "saved";
    scheduleChart();
  } catch (e) {
    if (e.status === 403) {
      state.canTriage = false;
      setTriageEnabled(false);
      $("t-msg").textContent = "Your token's role cannot triage (viewer).";
    } else {
      $("t-msg").textContent = "Saving failed: " + e.message;
    }
  }
}

// ---- chart -----------------------------------------------------------------------------------

let chartTimer = null;
function scheduleChart() {
  if (chartTimer) return;
  chartTimer = setTimeout(() => { chartTimer = null; loadChart(); }, 1000);
}

// Per-day counts from /api/stats, whatever its exact shape: [{day, low, medium, high}] or
// [{day, confidence, count}].
function dayRows(stats) {
  const raw = stats.by_day || stats.per_day || stats.days || [];
  const days = new Map();
  for (const r of raw) {
    const day = r.day || r.date;
    if (!day) continue;
    const d = days.get(day) || { day, low: 0, medium: 0, high: 0 };
    if (r.confidence && r.count !== undefined) d[r.confidence] += r.count;
    else for (const c of ["low", "medium", "high"]) d[c] += r[c] || (r.by_confidence && r.by_confidence[c]) || 0;
    days.set(day, d);
  }
  return [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
}

async function loadChart() {
  try {
    const since = Date.now() - 30 * 86400000;
    const stats = await api("/api/stats?since_ms=" + since);
    drawChart(dayRows(stats));
  } catch (e) {
    $("chart").textContent = "Stats unavailable: " + e.message;
  }
}

function drawChart(days) {
  const ns = "http://www.w3.org/2000/svg";
  const W = 720, H = 160, pad = 24;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", W); svg.setAttribute("height", H + 30);
  const max = Math.max(1, ...days.map((d) => d.low + d.medium + d.high));
  const bw = days.length ? Math.min(40, (W - pad) / days.length - 4) : 0;
  days.forEach((d, i) => {
    let y = H;
    const x = pad + i * (bw + 4);
    for (const c of ["low", "medium", "high"]) {
      const h = (d[c] / max) * (H - 10);
      if (h <= 0) continue;
      y -= h;
      const r = document.createElementNS(ns, "rect");
      r.setAttribute("x", x); r.setAttribute("y", y); r.setAttribute("width", bw); r.setAttribute("height", h);
      r.setAttribute("class", "bar " + c);
      r.setAttribute("fill", getComputedStyle(document.documentElement).getPropertyValue("--" + c).trim());
      const t = document.createElementNS(ns, "title");
      t.textContent = d.day + ": " + d[c] + " " + c;
      r.append(t);
      svg.append(r);
    }
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", x); label.setAttribute("y", H + 14); label.setAttribute("font-size", "9");
    label.textContent = String(d.day).slice(5);
    svg.append(label);
  });
  const maxLabel = document.createElementNS(ns, "text");
  maxLabel.setAttribute("x", 2); maxLabel.setAttribute("y", 12); maxLabel.setAttribute("font-size", "10");
  maxLabel.textContent = String(max);
  svg.append(maxLabel);
  const legend = el("div", { class: "legend" });
  for (const c of ["high", "medium", "low"]) {
    const i = el("i"); i.style.background = "var(--" + c + ")";
    legend.append(el("span", {}, i, c));
  }
  if (!days.length) legend.append(el("span", {}, "no alerts in the last 30 days"));
  $("chart").replaceChildren(svg, legend);
}

// ---- wiring ----------------------------------------------------------------------------------

async function whoami() {
  try {
    const me = await api("/api/me");
    $("whoami").textContent = me.name ? me.name + " (" + me.role + ")" : "";
    state.canTriage = me.role !== "viewer";
  } catch (_) {
    $("whoami").textContent = "";
    state.canTriage = true;
  }
  setTriageEnabled(state.canTriage);
}

function restart() {
  state.cursor = null;
  state.lastSeq = 0;
  whoami();
  loadList().then(startFeed);
  loadChart();
}

$("token").value = state.token;
$("login").addEventListener("submit", (ev) => {
  ev.preventDefault();
  state.token = $("token").value.trim();
  sessionStorage.setItem("leakwatch-token", state.token);
  restart();
});
$("filters").addEventListener("submit", (ev) => { ev.preventDefault(); loadList(); });
$("more").addEventListener("click", () => loadList(true));
$("d-close").addEventListener("click", () => {
  $("detail").hidden = true;
  state.selected = null;
  for (const tr of state.rows.values()) tr.classList.remove("selected");
});
for (const b of document.querySelectorAll("#triage [data-status]")) {
  b.addEventListener("click", () => triage({ status: b.getAttribute("data-status") }));
}
$("t-assign").addEventListener("click", () => {
  const v = $("t-assignee").value.trim();
  triage({ assignee: v || null });
});
$("t-add-note").addEventListener("click", () => {
  const v = $("t-note").value.trim();
  if (v) triage({ note: v }).then(() => { $("t-note").value = ""; });
});
restart();
