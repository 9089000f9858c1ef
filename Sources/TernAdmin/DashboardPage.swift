/// The dashboard served at `GET /`: one self-contained page (inline CSS and JavaScript, no external assets) that
/// polls `/stats` every second.
///
/// It draws hit ratio and requests per second over the last five minutes, bytes per tier against their limits,
/// the origin members' health, recent purges and WAF blocks, and has a purge box that posts to `/purge` with the
/// token typed into it (kept in the page only, never stored).
///
/// For tests and for people: every chart canvas carries `data-points` (samples drawn so far); any script error or
/// failed poll is appended to `#tern-errors` and counted in `<body data-errors>`.
public enum DashboardPage {
    /// The page.
    public static let html: String = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tern</title>
<style>
:root { --bg:#0f1419; --panel:#182029; --line:#2a3440; --text:#dde3ea; --dim:#8a97a6; --accent:#4fb3ff; --good:#3ecf8e; --bad:#ff6b6b; --warn:#f5c04a; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--text); }
header { display:flex; align-items:baseline; gap:16px; padding:12px 20px; border-bottom:1px solid var(--line); }
header h1 { font-size:18px; margin:0; letter-spacing:.5px; }
header .meta { color:var(--dim); }
header .status { margin-left:auto; }
.dot { display:inline-block; width:9px; height:9px; border-radius:50%; background:var(--dim); margin-right:6px; }
.dot.ok { background:var(--good); } .dot.bad { background:var(--bad); }
main { display:grid; grid-template-columns: repeat(12, 1fr); gap:14px; padding:14px 20px; }
section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px 14px; min-width:0; }
section h2 { font-size:13px; font-weight:600; color:var(--dim); text-transform:uppercase; letter-spacing:.6px; margin:0 0 8px; }
.kpis { grid-column: span 12; display:grid; grid-template-columns: repeat(6, 1fr); gap:14px; background:none; border:none; padding:0; }
.kpi { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:10px 14px; }
.kpi .v { font-size:22px; font-weight:600; } .kpi .l { color:var(--dim); font-size:12px; }
.chart { grid-column: span 6; } .chart canvas { width:100%; height:170px; display:block; }
.tiers { grid-column: span 4; } .origins { grid-column: span 8; }
.events { grid-column: span 4; } .purge { grid-column: span 4; }
.bar { height:10px; background:var(--line); border-radius:5px; overflow:hidden; margin:4px 0 10px; }
.bar > div { height:100%; background:var(--accent); }
table { width:100%; border-collapse:collapse; font-variant-numeric: tabular-nums; }
th, td { text-align:left; padding:4px 6px; border-bottom:1px solid var(--line); white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
th { color:var(--dim); font-weight:500; font-size:12px; }
td.num, th.num { text-align:right; }
.health-healthy { color:var(--good); } .health-unhealthy, .health-ejected { color:var(--bad); } .health-unknown { color:var(--warn); }
ul.log { list-style:none; margin:0; padding:0; max-height:180px; overflow:auto; }
ul.log li { padding:3px 0; border-bottom:1px solid var(--line); } ul.log time { color:var(--dim); margin-right:8px; font-size:12px; }
.empty { color:var(--dim); font-style:italic; }
form label { display:block; color:var(--dim); font-size:12px; margin:6px 0 2px; }
input, select, textarea, button { font:inherit; color:var(--text); background:#0f1419; border:1px solid var(--line); border-radius:5px; padding:5px 7px; width:100%; }
textarea { height:56px; resize:vertical; }
.row { display:flex; gap:12px; align-items:center; margin-top:8px; } .row label { display:flex; gap:5px; align-items:center; margin:0; color:var(--text); font-size:13px; }
.row input[type=checkbox] { width:auto; } .row label { white-space:nowrap; } .row select { flex:1; }
button { background:var(--accent); color:#00131f; font-weight:600; border:none; cursor:pointer; margin-top:10px; }
#purge-result { margin-top:8px; font-size:12px; color:var(--dim); white-space:pre-wrap; word-break:break-all; }
#tern-errors { display:none; }
body[data-errors]:not([data-errors="0"]) #tern-errors { display:block; color:var(--bad); margin:0 20px; }
</style>
</head>
<body data-errors="0">
<header>
  <h1>Tern</h1>
  <span class="meta" id="uptime">connecting…</span>
  <span class="status"><span class="dot" id="poll-dot"></span><span id="poll-status">waiting for /stats</span></span>
</header>
<pre id="tern-errors"></pre>
<main>
  <div class="kpis">
    <div class="kpi"><div class="v" id="kpi-rps">–</div><div class="l">requests/s</div></div>
    <div class="kpi"><div class="v" id="kpi-hit">–</div><div class="l">hit ratio (requests, since start)</div></div>
    <div class="kpi"><div class="v" id="kpi-bytehit">–</div><div class="l">hit ratio (bytes, since start)</div></div>
    <div class="kpi"><div class="v" id="kpi-served">–</div><div class="l">served / from origins</div></div>
    <div class="kpi"><div class="v" id="kpi-conns">–</div><div class="l">open connections</div></div>
    <div class="kpi"><div class="v" id="kpi-coalesced">–</div><div class="l">coalesced · stale · bypassed</div></div>
  </div>
  <section class="chart"><h2>Hit ratio (per second)</h2><canvas id="chart-hit" data-points="0"></canvas></section>
  <section class="chart"><h2>Requests per second</h2><canvas id="chart-rps" data-points="0"></canvas></section>
  <section class="tiers"><h2>Bytes by tier</h2><div id="tiers"><div class="empty">no cache tiers</div></div></section>
  <section class="origins"><h2>Origins</h2>
    <table><thead><tr><th>pool</th><th>member</th><th>health</th><th class="num">p50 ms</th><th class="num">p99 ms</th><th class="num">requests</th><th class="num">errors</th><th class="num">conns</th></tr></thead>
    <tbody id="origins"><tr><td colspan="8" class="empty">no origins</td></tr></tbody></table>
  </section>
  <section class="events"><h2>Recent purges</h2><ul class="log" id="purges"><li class="empty">none yet</li></ul></section>
  <section class="events"><h2>Recent WAF blocks</h2><ul class="log" id="waf"><li class="empty">none yet</li></ul></section>
  <section class="purge"><h2>Purge</h2>
    <form id="purge-form">
      <label for="purge-targets">URLs, prefixes, tags or hosts (one per line)</label>
      <textarea id="purge-targets" placeholder="http://example.com/page&#10;/images/&#10;product-42"></textarea>
      <div class="row">
        <select id="purge-kind" aria-label="what the lines are"><option value="urls">exact URL</option><option value="prefixes">path prefix</option><option value="tags">tag</option><option value="hosts">host</option></select>
        <label><input type="checkbox" id="purge-soft"> soft</label>
        <label><input type="checkbox" id="purge-dry"> dry run</label>
      </div>
      <label for="purge-token">Admin token</label>
      <input type="password" id="purge-token" autocomplete="off" placeholder="TERN_ADMIN_TOKEN">
      <button type="submit">Purge</button>
    </form>
    <div id="purge-result"></div>
  </section>
</main>
<script>
"use strict";
window.__ternErrors = [];
function reportError(message) {
  window.__ternErrors.push(String(message));
  document.body.setAttribute("data-errors", String(window.__ternErrors.length));
  document.getElementById("tern-errors").textContent = window.__ternErrors.join("\n");
}
window.addEventListener("error", function (e) { reportError("error: " + e.message); });
window.addEventListener("unhandledrejection", function (e) { reportError("unhandled rejection: " + (e.reason && e.reason.message || e.reason)); });

const HISTORY = 300;
const hitSeries = [], rpsSeries = [];
let previous = null;

function $(id) { return document.getElementById(id); }
function fmtBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"]; let i = 0; n = Number(n) || 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i];
}
function fmtPct(r) { return (100 * (Number(r) || 0)).toFixed(1) + "%"; }
function fmtNum(n) { n = Number(n) || 0; return n >= 1e6 ? (n / 1e6).toFixed(1) + "M" : n >= 1e4 ? (n / 1e3).toFixed(1) + "k" : String(Math.round(n * 10) / 10); }
function fmtUptime(s) { s = Math.floor(s); const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60); return "up " + (d ? d + "d " : "") + h + "h " + m + "m " + (s % 60) + "s"; }
function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
function cell(tr, text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); return td; }

function servedWithoutFetch(c) { return c.hitsMemory + c.hitsDisk + c.staleServed + c.revalidatedNotModified + c.coalesced; }

function drawChart(canvas, series, opts) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 600, h = canvas.clientHeight || 170;
  canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
  const g = canvas.getContext("2d"); g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const pad = { l: 44, r: 8, t: 8, b: 18 };
  const max = opts.max !== undefined ? opts.max : Math.max(1, ...series.map(p => p.v)) * 1.15;
  g.strokeStyle = "#2a3440"; g.fillStyle = "#8a97a6"; g.font = "11px system-ui, sans-serif"; g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = pad.t + (h - pad.t - pad.b) * i / 4;
    g.beginPath(); g.moveTo(pad.l, y); g.lineTo(w - pad.r, y); g.stroke();
    g.fillText(opts.label(max * (4 - i) / 4), 4, y + 4);
  }
  // The x axis grows with the history (at least a minute) up to HISTORY seconds.
  const span = Math.min(HISTORY, Math.max(60, series.length));
  g.fillText("−" + span + "s", pad.l, h - 4); g.fillText("now", w - pad.r - 22, h - 4);
  canvas.setAttribute("data-points", String(series.length));
  if (series.length === 0) return;
  const x = i => pad.l + (w - pad.l - pad.r) * (span - (series.length - 1 - i)) / span;
  const y = v => pad.t + (h - pad.t - pad.b) * (1 - Math.min(v, max) / max);
  g.beginPath(); g.moveTo(x(0), y(series[0].v));
  for (let i = 1; i < series.length; i++) g.lineTo(x(i), y(series[i].v));
  g.strokeStyle = opts.color; g.lineWidth = 2; g.stroke();
  g.lineTo(x(series.length - 1), h - pad.b); g.lineTo(x(0), h - pad.b); g.closePath();
  g.fillStyle = opts.color + "22"; g.fill();
  if (series.length === 1) { g.fillStyle = opts.color; g.beginPath(); g.arc(x(0), y(series[0].v), 3, 0, 7); g.fill(); }
}

function render(s) {
  const now = performance.now();
  if (previous) {
    const dt = Math.max(0.001, (now - previous.at) / 1000);
    const dr = s.requests - previous.stats.requests;
    rpsSeries.push({ v: Math.max(0, dr / dt) });
    const served = servedWithoutFetch(s.cache) - servedWithoutFetch(previous.stats.cache);
    const total = served + (s.cache.misses - previous.stats.cache.misses) + (s.cache.revalidatedModified - previous.stats.cache.revalidatedModified);
    hitSeries.push({ v: total > 0 ? served / total : (hitSeries.length ? hitSeries[hitSeries.length - 1].v : s.cache.hitRatio) });
  } else {
    // Requests per second needs two polls; the hit ratio starts from the ratio since start.
    hitSeries.push({ v: s.cache.hitRatio });
  }
  while (rpsSeries.length > HISTORY) rpsSeries.shift();
  while (hitSeries.length > HISTORY) hitSeries.shift();
  previous = { at: now, stats: s };

  $("uptime").textContent = fmtUptime(s.uptimeSeconds) + " · " + fmtNum(s.requests) + " requests";
  $("kpi-rps").textContent = rpsSeries.length ? fmtNum(rpsSeries[rpsSeries.length - 1].v) : "–";
  $("kpi-hit").textContent = fmtPct(s.cache.hitRatio);
  $("kpi-bytehit").textContent = fmtPct(s.bytes.hitRatio);
  $("kpi-served").textContent = fmtBytes(s.bytes.served) + " / " + fmtBytes(s.bytes.fetchedFromOrigins);
  $("kpi-conns").textContent = fmtNum(s.connections.open);
  $("kpi-coalesced").textContent = fmtNum(s.cache.coalesced) + " · " + fmtNum(s.cache.staleServed) + " · " + fmtNum(s.cache.bypassed);

  drawChart($("chart-hit"), hitSeries, { max: 1, color: "#3ecf8e", label: v => Math.round(v * 100) + "%" });
  drawChart($("chart-rps"), rpsSeries, { color: "#4fb3ff", label: v => fmtNum(v) });

  const tiers = $("tiers"); clear(tiers);
  if (!s.tiers.length) { const d = document.createElement("div"); d.className = "empty"; d.textContent = "no cache tiers"; tiers.appendChild(d); }
  for (const t of s.tiers) {
    const label = document.createElement("div");
    label.textContent = t.name + ": " + fmtBytes(t.bytes) + " of " + fmtBytes(t.limitBytes) + " · " + fmtNum(t.objects) + " objects · " + fmtNum(t.evictions) + " evicted";
    const failures = Object.values(t.writeFailures || {}).reduce((a, b) => a + b, 0);
    if (t.readOnly || failures > 0 || t.damageResets > 0) {
      const warn = document.createElement("span"); warn.className = "health-unhealthy";
      warn.textContent = (t.readOnly ? " · READ-ONLY (writes failing)" : "") + (failures > 0 ? " · " + fmtNum(failures) + " write failures" : "")
        + (t.damageResets > 0 ? " · damaged store reset at start" : "");
      label.appendChild(warn);
    }
    const bar = document.createElement("div"); bar.className = "bar";
    const fill = document.createElement("div"); fill.style.width = (t.limitBytes > 0 ? Math.min(100, 100 * t.bytes / t.limitBytes) : 0).toFixed(1) + "%";
    bar.appendChild(fill); tiers.appendChild(label); tiers.appendChild(bar);
  }

  const origins = $("origins"); clear(origins);
  if (!s.origins.length) { const tr = document.createElement("tr"); const td = cell(tr, "no origins", "empty"); td.colSpan = 8; origins.appendChild(tr); }
  for (const o of s.origins) {
    const tr = document.createElement("tr");
    cell(tr, o.pool); cell(tr, o.url).title = o.url; cell(tr, o.health, "health-" + o.health);
    cell(tr, o.latencyP50Ms.toFixed(1), "num"); cell(tr, o.latencyP99Ms.toFixed(1), "num");
    cell(tr, fmtNum(o.requests), "num"); cell(tr, fmtNum(o.errors), "num"); cell(tr, fmtNum(o.openConnections), "num");
    origins.appendChild(tr);
  }
  renderLog($("purges"), s.recentPurges, e => e.summary);
  renderLog($("waf"), s.recentWAFBlocks, e => "rule " + e.ruleId + ": " + e.summary);
}

function renderLog(list, events, text) {
  clear(list);
  if (!events.length) { const li = document.createElement("li"); li.className = "empty"; li.textContent = "none yet"; list.appendChild(li); return; }
  for (const e of events.slice(0, 50)) {
    const li = document.createElement("li");
    const time = document.createElement("time"); time.dateTime = e.time;
    const d = new Date(e.time); time.textContent = isNaN(d) ? e.time : d.toLocaleTimeString();
    li.appendChild(time); li.appendChild(document.createTextNode(text(e))); list.appendChild(li);
  }
}

let failures = 0;
async function poll() {
  try {
    const response = await fetch("/stats", { cache: "no-store" });
    if (!response.ok) throw new Error("/stats answered " + response.status);
    render(await response.json());
    failures = 0;
    $("poll-dot").className = "dot ok"; $("poll-status").textContent = "live";
  } catch (e) {
    failures++;
    $("poll-dot").className = "dot bad"; $("poll-status").textContent = "cannot reach /stats";
    if (failures === 1) reportError("poll failed: " + (e && e.message || e));
  }
}

$("purge-form").addEventListener("submit", async function (event) {
  event.preventDefault();
  const lines = $("purge-targets").value.split("\n").map(l => l.trim()).filter(l => l.length > 0);
  const out = $("purge-result");
  if (!lines.length) { out.textContent = "Enter at least one line."; return; }
  const body = { soft: $("purge-soft").checked, dryRun: $("purge-dry").checked };
  body[$("purge-kind").value] = lines;
  out.textContent = "purging…";
  try {
    const response = await fetch("/purge", { method: "POST", headers: { "Content-Type": "application/json", "Authorization": "Bearer " + $("purge-token").value }, body: JSON.stringify(body) });
    const result = await response.json();
    if (!response.ok) { out.textContent = response.status + ": " + result.error; return; }
    out.textContent = (result.dryRun ? "dry run: would purge " : (result.soft ? "marked stale: " : "purged: ")) + (result.dryRun ? result.matched : result.purged) + " of " + result.matched + " matched" + (result.sample.length ? "\n" + result.sample.slice(0, 10).join("\n") : "");
    poll();
  } catch (e) { out.textContent = "failed: " + (e && e.message || e); }
});

poll();
setInterval(poll, 1000);
</script>
</body>
</html>
"""#
}
