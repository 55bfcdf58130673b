// Regenerates the sandbox screenshots of docs/canary.md and docs/watch.md (docs/img/*.png), end to end:
// starts Runway's sandbox on free loopback ports (scripts/screenshots/sandbox-run.ts) and, in a headless Chromium
// (scripts/screenshots/browser.ts), presses the real buttons of the sandbox pages: Merge on the GitLab project
// page (twice), then those of the Slack page and the Argo CD page:
//
//   release 1: Approve → canary step 2 (canary-step.png) → Promote to the next step → Promote fully
//              (canary-promoted.png)
//   release 2: Approve → Abort at step 2 → reverted in git (canary-aborted.png)
//   Argo CD page: Break hello-staging (argocd-broken.png) → Slack incident (incident-open.png)
//                 → Heal (incident-closed.png)
//
//   npx tsx scripts/screenshots.ts [output dir, default docs/img]     (CHROMIUM=/path/to/chrome to choose one)
//
// Needs Chromium and takes about three minutes; not part of `make test`.
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isCommitSha } from '../domain/ids.js';
import { Browser, type Page } from './screenshots/browser.js';
import { startSandboxRun, type SandboxRun } from './screenshots/sandbox-run.js';

const WIDTH = 860;
const outDir = path.resolve(process.argv[2] ?? 'docs/img');
const log = (line: string) => process.stdout.write(`screenshots: ${line}\n`);

/** Presses the Merge button of the sandbox GitLab's project page (sandbox/gitlab-merge.ts); the merged sha. */
async function merge(gitlab: Page, run: SandboxRun, title: string): Promise<string> {
  await gitlab.goto(`${run.gitlab}/sandbox/hello`);
  await gitlab.follow(`(() => {
    document.querySelector('input[name=title]').value = ${JSON.stringify(title)};
    document.querySelector('form button').click();
  })()`);
  const page = await gitlab.evaluate<string>('document.body.innerText');
  const sha = page.split(/[\s.,;:()]+/).find(isCommitSha);
  if (!sha || !page.includes('Runway answered HTTP 202'))
    throw new Error(`the merge did not start a release:\n${page}`);
  // sandbox/argocd.ts, gitlab-web.ts, config/sandbox.yaml: these tags fail on purpose (1 merge in ~600).
  if (/bad/.test(sha.slice(0, 8)) || /^(dead|fa11)/.test(sha))
    throw new Error(`merged ${sha}, a failing sha: run again`);
  log(`merged "${title}" (${sha.slice(0, 8)})`);
  return sha.slice(0, 8);
}

// Page-side helpers: the Slack page renders each channel message as `main > .msg` (ephemerals add
// `.ephemeral`), its buttons as <button>; the newest message containing `text` is meant.
const MESSAGE = (text: string) =>
  `[...document.querySelectorAll('main > .msg:not(.ephemeral)')].reverse().find((m) => m.textContent.includes(${JSON.stringify(text)}))`;
const BUTTON = (text: string, label: string) =>
  `[...(${MESSAGE(text)}?.querySelectorAll('.actions button') ?? [])].find((b) => b.textContent === ${JSON.stringify(label)} && !b.disabled)`;
/** The message's box with a margin, in page coordinates. */
const MESSAGE_RECT = (text: string) => `(() => {
  const r = ${MESSAGE(text)}.getBoundingClientRect();
  return { x: r.x - 12, y: r.y + window.scrollY - 12, width: r.width + 24, height: r.height + 24 };
})()`;

async function press(page: Page, text: string, label: string): Promise<void> {
  await page.waitFor(BUTTON(text, label), `the "${label}" button on the message with "${text}"`);
  await page.evaluate(`(${BUTTON(text, label)}).click()`);
  log(`pressed ${label} (${text})`);
}

async function waitForText(page: Page, text: string, expected: string): Promise<void> {
  await page.waitFor(`${MESSAGE(text)}?.textContent.includes(${JSON.stringify(expected)})`, `"${expected}"`);
}

/** The message's header line (`✅ hello 6cdb0b39 — succeeded`) ends with the release's or incident's state. */
async function waitForHeader(page: Page, text: string, state: string): Promise<void> {
  const header = `${MESSAGE(text)}?.querySelector('.header')?.textContent`;
  await page.waitFor(`${header}?.includes(${JSON.stringify(state)})`, `"${state}" in the header of "${text}"`);
}

async function shot(page: Page, name: string, rect: string): Promise<void> {
  const file = path.join(outDir, name);
  await page.screenshot(file, rect);
  log(`wrote ${path.relative(process.cwd(), file)}`);
}

async function canary(slack: Page, gitlab: Page, run: SandboxRun): Promise<void> {
  const one = await merge(gitlab, run, 'Say hello in French');
  await press(slack, one, 'Approve');
  await slack.waitFor(BUTTON(one, 'Promote to the next step'), 'canary step 2');
  await shot(slack, 'canary-step.png', MESSAGE_RECT(one));
  await press(slack, one, 'Promote to the next step');
  await waitForText(slack, one, 'canary step 4');
  await press(slack, one, 'Promote fully');
  await waitForHeader(slack, one, '— succeeded');
  await slack.waitFor(`!${MESSAGE(one)}.querySelector('.actions')`, 'the buttons to go');
  await shot(slack, 'canary-promoted.png', MESSAGE_RECT(one));

  const two = await merge(gitlab, run, 'Say hello in Klingon');
  await press(slack, two, 'Approve');
  await slack.waitFor(BUTTON(two, 'Abort'), 'canary step 2 of the second release');
  await press(slack, two, 'Abort');
  await waitForHeader(slack, two, '— rolled back');
  await shot(slack, 'canary-aborted.png', MESSAGE_RECT(two));
  log(
    `infra repo:\n${execFileSync('git', ['--git-dir', run.infraRepo, 'log', '--oneline', '-6'], { encoding: 'utf8' })}`,
  );
}

/** The Argo CD page's row of an app (it reloads itself every 5 s, so every lookup starts from the document). */
const ROW = (app: string) =>
  `[...document.querySelectorAll('tr')].find((r) => r.querySelector('a')?.textContent === ${JSON.stringify(app)})`;

async function watcher(slack: Page, argocd: Page, run: SandboxRun): Promise<void> {
  await argocd.goto(`${run.argocd}/applications`);
  await argocd.evaluate(`${ROW('hello-staging')}.querySelector('button[data-health="Degraded"]').click()`);
  log('pressed Break (Degraded) on hello-staging');
  await argocd.waitFor(`${ROW('hello-staging')}?.textContent.includes('Degraded')`, 'hello-staging Degraded');
  await shot(
    argocd,
    'argocd-broken.png',
    `(() => {
    const r = document.querySelector('table').getBoundingClientRect();
    return { x: 0, y: 0, width: r.right + 24, height: r.bottom + 24 };
  })()`,
  );

  const incident = 'hello staging';
  await slack.waitFor(BUTTON(incident, 'Silence 1 h'), 'the incident');
  await shot(slack, 'incident-open.png', MESSAGE_RECT(incident));
  await argocd.evaluate(`${ROW('hello-staging')}.querySelector('button[data-health="Healthy"]').click()`);
  log('pressed Heal on hello-staging');
  await waitForHeader(slack, incident, 'resolved after');
  await shot(slack, 'incident-closed.png', MESSAGE_RECT(incident));
}

async function main(): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const run = await startSandboxRun(log);
  // Ctrl-C stops Chromium, Runway and Temporal too (the finally below).
  const interrupted = new Promise<never>((_resolve, reject) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => reject(new Error(`stopped by ${signal}`)));
    }
  });
  const browser = await Browser.launch().catch(async (err: unknown) => {
    await run.stop();
    throw err;
  });
  try {
    const scenario = async () => {
      const slack = await browser.newPage(WIDTH, 1_400);
      await slack.goto(`${run.api}/sandbox/slack`);
      const gitlab = await browser.newPage(WIDTH, 600);
      await canary(slack, gitlab, run);
      const argocd = await browser.newPage(1_000, 600);
      await watcher(slack, argocd, run);
    };
    await Promise.race([scenario(), interrupted]);
  } finally {
    await browser.close();
    await run.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`screenshots: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
