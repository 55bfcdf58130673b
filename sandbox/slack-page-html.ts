// The sandbox Slack page: one self-contained HTML document (no external assets). Its script polls
// `slack/messages` and builds the DOM from pre-parsed segments with textContent only, so no message text
// is ever interpreted as HTML. Nothing dynamic is interpolated into this document.
import { createHash } from 'node:crypto';

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1c1d;background:#f8f8f8}
header{position:sticky;top:0;z-index:1;display:flex;gap:16px;align-items:center;padding:10px 20px;background:#3f0e40;color:#fff}
header h1{font-size:16px;margin:0;flex:1}header label{font-size:13px}header select{margin-left:6px;font:inherit}
#status{font-size:13px;opacity:.85}main{max-width:900px;margin:0 auto;padding:12px 20px 80px}
h2{font-size:15px;color:#616061;border-bottom:1px solid #ddd;padding-bottom:4px}
.msg{background:#fff;border:1px solid #e5e5e5;border-radius:8px;padding:10px 14px;margin:10px 0}
.meta{font-size:12px;color:#616061;margin-bottom:4px}.meta b{color:#1d1c1d;font-size:14px;margin-right:6px}
.header{font-size:18px;font-weight:700;margin:4px 0}.section{white-space:pre-wrap;margin:6px 0}
.context{white-space:pre-wrap;font-size:13px;color:#616061;margin:4px 0}hr{border:0;border-top:1px solid #eee}
code{font:13px ui-monospace,monospace;background:#f2f2f2;border:1px solid #e0e0e0;border-radius:3px;padding:0 3px;color:#c01343}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}a{color:#1264a3}
.actions{display:flex;gap:8px;margin:8px 0}button{font:inherit;font-weight:600;padding:5px 14px;border-radius:4px;border:1px solid #bbb;background:#fff;cursor:pointer}
button.primary{background:#007a5a;border-color:#007a5a;color:#fff}button.danger{background:#e01e5a;border-color:#e01e5a;color:#fff}
button:disabled{opacity:.5;cursor:wait}.ephemeral{background:#f4ede4;border-style:dashed}
details{margin-top:6px;font-size:14px}details .msg{margin-left:18px}summary{cursor:pointer;color:#1264a3}
#toast{position:fixed;bottom:16px;left:50%;transform:translateX(-50%);background:#1d1c1d;color:#fff;padding:8px 14px;border-radius:6px;max-width:80%;white-space:pre-wrap;display:none}
.empty{color:#616061}
form{position:fixed;bottom:0;left:0;right:0;display:flex;gap:8px;padding:10px 20px;background:#fff;border-top:1px solid #ddd}
form input{flex:1;font:inherit;padding:6px 10px;border:1px solid #bbb;border-radius:6px}`;

const SCRIPT = `
const base = location.pathname.replace(/\\/+$/, '').replace(/\\/slack$/, '') + '/slack';
const openThreads = new Set();
let last = '';
let timer;
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
function segments(parent, list) {
  for (const s of list) {
    let node;
    if (s.href) { node = el('a', '', s.text); node.href = s.href; node.target = '_blank'; node.rel = 'noopener noreferrer'; }
    else if (s.code) node = el('code', '', s.text);
    else if (s.time) { node = el('time', '', new Date(s.time * 1000).toLocaleString()); node.title = s.text; }
    else if (s.mention) node = el('span', 'mention', s.text);
    else node = document.createTextNode(s.text);
    for (const [flag, tag] of [['bold', 'strong'], ['italic', 'em'], ['strike', 's']]) {
      if (s[flag]) { const w = el(tag); w.append(node); node = w; }
    }
    parent.append(node);
  }
}
function toast(text) {
  const t = document.getElementById('toast');
  t.textContent = text; t.style.display = 'block';
  clearTimeout(toast.timer); toast.timer = setTimeout(() => { t.style.display = 'none'; }, 6000);
}
async function click(message, button, node) {
  const userId = document.getElementById('user').value;
  node.disabled = true;
  try {
    const res = await fetch(base + '/click', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: message.channel, ts: message.ts, actionId: button.actionId, value: button.value, userId }) });
    const out = await res.json();
    toast(res.ok ? button.text + ' as ' + userId + ': Runway answered HTTP ' + out.status + (out.body ? '\\n' + out.body : '')
      : 'Not sent: ' + (out.error || res.status));
  } catch (err) { toast('Not sent: ' + err); }
  node.disabled = false; last = ''; poll();
}
function blocks(parent, list, message) {
  for (const b of list) {
    if (b.type === 'divider') { parent.append(el('hr')); continue; }
    if (b.type === 'unsupported') { parent.append(el('div', 'context', '[' + b.blockType + ' block]')); continue; }
    if (b.type === 'actions') {
      const row = el('div', 'actions');
      for (const button of b.buttons) {
        const node = el('button', button.style || '', button.text);
        if (message.kind === 'message') node.onclick = () => click(message, button, node);
        else node.disabled = true;
        row.append(node);
      }
      parent.append(row); continue;
    }
    const div = el('div', b.type); segments(div, b.segments); parent.append(div);
  }
}
function item(m) {
  const box = el('div', m.kind === 'ephemeral' ? 'msg ephemeral' : 'msg');
  const meta = el('div', 'meta');
  meta.append(el('b', '', 'Runway'), el('span', '', new Date(Number(m.ts) * 1000).toLocaleTimeString()));
  if (m.kind === 'ephemeral') meta.append(el('span', '', '  · only visible to ' + m.user));
  if (m.edited) meta.append(el('span', '', '  (edited)'));
  box.append(meta);
  if (m.blocks.length) blocks(box, m.blocks, m); else { const d = el('div', 'section'); segments(d, m.text); box.append(d); }
  if (m.kind === 'message' && m.replies.length) {
    const d = el('details'); d.open = openThreads.has(m.ts);
    d.ontoggle = () => { if (d.open) openThreads.add(m.ts); else openThreads.delete(m.ts); };
    d.append(el('summary', '', m.replies.length + (m.replies.length === 1 ? ' reply' : ' replies')));
    for (const r of m.replies) d.append(item(r));
    box.append(d);
  }
  return box;
}
function render(data) {
  const select = document.getElementById('user');
  if (!select.options.length) {
    for (const u of data.users) { const o = el('option', '', u.username + ' (' + u.id + ')'); o.value = u.id; select.append(o); }
    const saved = localStorage.getItem('runway-sandbox-user');
    if (saved && data.users.some((u) => u.id === saved)) select.value = saved;
    select.onchange = () => localStorage.setItem('runway-sandbox-user', select.value);
  }
  const main = document.querySelector('main');
  const y = window.scrollY;
  main.replaceChildren();
  for (const c of data.channels) {
    main.append(el('h2', '', '#' + c.name));
    if (!c.timeline.length) main.append(el('p', 'empty', 'No messages yet. Start a release and watch it here.'));
    for (const m of c.timeline) main.append(item(m));
  }
  window.scrollTo(0, y);
}
async function poll() {
  clearTimeout(timer);
  const status = document.getElementById('status');
  let text;
  try {
    const res = await fetch(base + '/messages', { cache: 'no-store' });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    text = await res.text();
    status.textContent = '';
  } catch { status.textContent = 'Runway is not answering…'; }
  try {
    if (text !== undefined && text !== last) { last = text; render(JSON.parse(text)); }
  } catch (err) { status.textContent = 'Cannot show the messages: ' + err; }
  timer = setTimeout(poll, 1500);
}
document.getElementById('command').onsubmit = async (event) => {
  event.preventDefault();
  const input = document.getElementById('command-text');
  const text = input.value.replace(/^\\s*\\/runway\\b/, '').trim();
  const userId = document.getElementById('user').value;
  const channel = document.querySelector('h2') ? document.querySelector('h2').textContent : '#releases';
  input.disabled = true;
  try {
    const res = await fetch(base + '/command', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel, text, userId }) });
    const out = await res.json();
    toast(res.ok ? '/runway ' + text + ' as ' + userId + ': HTTP ' + out.status : 'Not sent: ' + (out.error || res.status));
    if (res.ok) input.value = '';
  } catch (err) { toast('Not sent: ' + err); }
  input.disabled = false; input.focus(); last = ''; poll();
};
poll();`;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Only this page's own script and style may run; it may only talk to its own origin. */
export const SLACK_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SLACK_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Runway sandbox · Slack</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Runway sandbox · Slack</h1><span id="status"></span><label>Act as<select id="user"></select></label></header>
<main><p class="empty">Loading…</p></main>
<form id="command"><input id="command-text" autocomplete="off" placeholder="/runway help · /runway status hello · /runway approve …" aria-label="Slash command"><button type="submit">Send</button></form>
<div id="toast" role="status"></div>
<script>${SCRIPT}</script>
</body>
</html>
`;
