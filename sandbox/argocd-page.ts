// The sandbox's Argo CD "UI": a page listing the applications with their health and sync, and buttons that make
// something happen in the cluster between releases (the fake's test controls, docs/fakes.md): break an app
// (Degraded), heal it, or press "Sync" as someone in the Argo CD UI would. The watcher (docs/watch.md) then opens
// an incident in the sandbox Slack page, with its rollback button, and closes it when the app is Healthy again.
import type { FakeArgoCd } from '../fakes/argocd.js';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function sandboxArgoCdPage(argocd: FakeArgoCd, names: readonly string[], slackPageUrl: string): string {
  const rows = names
    .map((name) => {
      const app = argocd.app(name);
      const health = app.status.health.status + (app.status.health.message ? ` — ${app.status.health.message}` : '');
      const revision = (app.status.sync.revision ?? '').slice(0, 8);
      const n = escape(name);
      return `<tr><td><a href="/applications/${n}">${n}</a></td><td>${escape(health)}</td><td>${escape(app.status.sync.status)} ${escape(revision)}</td>
<td><button data-app="${n}" data-health="Degraded">Break (Degraded)</button>
<button data-app="${n}" data-health="Healthy">Heal</button>
<button data-app="${n}" data-sync="1">Sync (as someone)</button></td></tr>`;
    })
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Argo CD (sandbox)</title>
<style>body{font:14px system-ui,sans-serif;margin:24px}td,th{padding:6px 12px;text-align:left;border-bottom:1px solid #ddd}td:first-child,td:last-child{white-space:nowrap}button{margin-right:6px}</style>
</head><body><h1>Argo CD (sandbox)</h1>
<p>Between releases Runway's watcher reads these apps every few seconds. Break one: after the grace period an
incident appears in the <a href="${escape(slackPageUrl)}">Slack page</a>, with a rollback button (once a
release has deployed there), and closes with its duration when you heal it.</p>
<table><tr><th>Application</th><th>Health</th><th>Sync</th><th></th></tr>
${rows}</table>
<script>
for (const b of document.querySelectorAll('button')) {
  b.onclick = async () => {
    const app = b.dataset.app;
    const url = b.dataset.sync ? '/_fake/applications/' + app + '/sync' : '/_fake/applications/' + app + '/health';
    const body = b.dataset.sync ? { username: 'sandbox-user' } : { status: b.dataset.health };
    await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    setTimeout(() => location.reload(), 300);
  };
}
setTimeout(() => location.reload(), 5000);
</script></body></html>`;
}
