namespace CloudFran.Web.Voice;

/// <summary>
/// <c>/app/voice?token=dt_…</c>: the live call dashboard. One self-contained page that speaks SignalR's JSON
/// protocol over a WebSocket to <c>/voicecallhub</c> (no script downloads): active calls update live, the call log
/// shows transcripts, outcomes and recording links, filtered by outcome and date.
/// </summary>
public static class VoiceDashboardPage
{
    public const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Voice receptionist — live calls</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body { font: 14px system-ui, sans-serif; margin: 0; color: #1d2330; background: #f5f6f8; }
 header { background: #1d2330; color: #fff; padding: 12px 20px; display: flex; gap: 16px; align-items: center; }
 header h1 { font-size: 16px; margin: 0; flex: 1; }
 main { padding: 16px 20px; display: grid; gap: 16px; }
 section { background: #fff; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
 h2 { font-size: 14px; margin: 0 0 8px; }
 table { width: 100%; border-collapse: collapse; }
 th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eceef2; vertical-align: top; }
 tr.call-row { cursor: pointer; }
 .status { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #eceef2; }
 .live { background: #d9f7e5; color: #0b6b36; }
 .ended { background: #f3e1e1; color: #8a1f1f; }
 #transcript div { margin: 4px 0; }
 .caller { color: #0b4f8a; } .agent { color: #3c4354; }
 input, select, button { font: inherit; padding: 4px 6px; }
</style>
</head>
<body>
<header><h1>Voice receptionist</h1><span id="conn" class="status">connecting…</span></header>
<main>
 <section>
  <h2>Active calls</h2>
  <table><thead><tr><th>Call</th><th>Caller</th><th>Intent</th><th>Turns</th><th>Duration</th><th>Last message</th><th>State</th></tr></thead>
  <tbody id="active"></tbody></table>
 </section>
 <section>
  <h2>Call log</h2>
  <form id="filters">
   <select id="outcome"><option value="">all outcomes</option><option>booked</option><option>ordered</option><option>message_taken</option>
    <option>transferred</option><option>answered</option><option>no_input</option><option>abandoned</option><option>failed</option></select>
   <input id="from" type="date"> <input id="to" type="date"> <button>Filter</button>
  </form>
  <table><thead><tr><th>Started</th><th>Call</th><th>Caller</th><th>Intent</th><th>Outcome</th><th>Duration</th><th>Recording</th></tr></thead>
  <tbody id="log"></tbody></table>
  <div id="transcript"></div>
 </section>
</main>
<script>
"use strict";
const RS = "\u001e";
const params = new URLSearchParams(location.search);
const token = params.get("token") || "";
const calls = new Map();
let ws, nextId = 1;
const pending = new Map();
const $ = id => document.getElementById(id);
function text(el, value) { el.textContent = value == null ? "" : String(value); return el; }
function cell(tr, value) { tr.appendChild(text(document.createElement("td"), value)); }

function invoke(target, ...args) {
  const invocationId = String(nextId++);
  ws.send(JSON.stringify({ type: 1, invocationId, target, arguments: args }) + RS);
  return new Promise((resolve, reject) => pending.set(invocationId, { resolve, reject }));
}

function renderActive() {
  const body = $("active");
  body.replaceChildren();
  for (const c of calls.values()) {
    const tr = document.createElement("tr");
    tr.id = "call-" + c.callSid;
    tr.dataset.state = c.state;
    cell(tr, c.callSid); cell(tr, c.callerPhone); cell(tr, c.intent); cell(tr, c.turns);
    cell(tr, (c.durationSeconds || 0) + " s"); cell(tr, c.lastMessage);
    const st = document.createElement("td");
    const badge = text(document.createElement("span"), c.state === "ended" ? "ended · " + (c.outcome || "") : "live");
    badge.className = "status " + (c.state === "ended" ? "ended" : "live");
    st.appendChild(badge); tr.appendChild(st);
    body.appendChild(tr);
  }
}

async function loadLog() {
  const from = $("from").value ? $("from").value + "T00:00:00Z" : null;
  const to = $("to").value ? $("to").value + "T23:59:59Z" : null;
  const page = await invoke("GetCalls", $("outcome").value || null, from, to, 1);
  const body = $("log");
  body.replaceChildren();
  for (const c of page.items) {
    const tr = document.createElement("tr");
    tr.className = "call-row";
    cell(tr, new Date(c.startedAt).toLocaleString()); cell(tr, c.callSid); cell(tr, c.callerPhone); cell(tr, c.intent);
    cell(tr, c.outcome || "in progress"); cell(tr, c.durationSeconds == null ? "" : c.durationSeconds + " s");
    const rec = document.createElement("td");
    if (c.recordingUrl && /^https?:/.test(c.recordingUrl)) {
      const a = text(document.createElement("a"), "listen"); a.href = c.recordingUrl; a.target = "_blank"; a.rel = "noopener"; rec.appendChild(a);
    }
    tr.appendChild(rec);
    tr.addEventListener("click", () => showTranscript(c));
    body.appendChild(tr);
  }
}

function showTranscript(c) {
  const box = $("transcript");
  box.replaceChildren(text(document.createElement("h2"), "Transcript " + c.callSid));
  for (const t of c.turns) {
    box.appendChild(text(document.createElement("div"), "Caller: " + t.callerText)).className = "caller";
    box.appendChild(text(document.createElement("div"), "Receptionist: " + t.reply + "  (" + t.intent + ", " + t.serverMs + " ms)")).className = "agent";
  }
}

function onEvent(name, e) {
  const c = calls.get(e.callSid) || { callSid: e.callSid, state: "live" };
  if (name === "CallStarted") { Object.assign(c, { callerPhone: e.callerPhone, intent: e.intent, turns: e.turns, state: "live" }); }
  if (name === "CallUpdated") { Object.assign(c, { intent: e.intent, turns: e.turns, durationSeconds: e.durationSeconds, lastMessage: e.lastMessage }); }
  if (name === "CallEnded") { Object.assign(c, { outcome: e.outcome, durationSeconds: e.durationSeconds, turns: e.turns, state: "ended" }); loadLog(); }
  calls.set(e.callSid, c);
  renderActive();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  ws = new WebSocket(scheme + "//" + location.host + "/voicecallhub?access_token=" + encodeURIComponent(token));
  ws.onopen = () => ws.send(JSON.stringify({ protocol: "json", version: 1 }) + RS);
  let handshaken = false;
  ws.onmessage = async msg => {
    for (const frame of String(msg.data).split(RS).filter(f => f.length)) {
      const m = JSON.parse(frame);
      if (!handshaken) {
        handshaken = true;
        if (m.error) { text($("conn"), "refused: " + m.error); return; }
        const tenantId = await invoke("WhoAmI");
        await invoke("JoinTenantGroup", tenantId);
        text($("conn"), "live · " + tenantId).className = "status live";
        for (const a of await invoke("GetActiveCalls")) {
          calls.set(a.callSid, { callSid: a.callSid, callerPhone: a.callerPhone, intent: a.intent, turns: a.turnCount,
            durationSeconds: a.durationSeconds, lastMessage: a.lastMessage, state: "live" });
        }
        renderActive();
        loadLog();
        continue;
      }
      if (m.type === 1) onEvent(m.target, m.arguments[0]);
      if (m.type === 3 && pending.has(m.invocationId)) {
        const p = pending.get(m.invocationId); pending.delete(m.invocationId);
        m.error ? p.reject(new Error(m.error)) : p.resolve(m.result);
      }
      if (m.type === 7) { text($("conn"), "closed: " + (m.error || "")).className = "status ended"; }
    }
  };
  ws.onclose = () => { text($("conn"), "disconnected — retrying").className = "status ended"; setTimeout(connect, 2000); };
}

setInterval(() => { if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: 6 }) + RS); }, 15000);
$("filters").addEventListener("submit", ev => { ev.preventDefault(); loadLog(); });
connect();
</script>
</body>
</html>
""";
}
