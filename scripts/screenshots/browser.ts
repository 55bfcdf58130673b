// A headless Chromium driven through the Chrome DevTools Protocol over a pipe (--remote-debugging-pipe: JSON
// messages separated by NUL bytes on file descriptors 3 and 4, what Puppeteer's `pipe: true` uses), so the
// screenshot script needs no npm package: it opens pages, clicks their own buttons and captures PNGs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

interface Reply {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

const COMMAND_TIMEOUT_MS = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(r: Reply) => void>();

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
  ) {
    let buffer = '';
    (child.stdio[4] as Readable).setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\0'); end >= 0; end = buffer.indexOf('\0')) {
        const reply = JSON.parse(buffer.slice(0, end)) as Reply;
        buffer = buffer.slice(end + 1);
        this.dispatch(reply);
      }
    });
    child.once('exit', (code) => {
      for (const { reject } of this.pending.values()) reject(new Error(`chromium exited (${code})`));
      this.pending.clear();
    });
  }

  static async launch(executable = process.env.CHROMIUM ?? '/usr/bin/chromium'): Promise<Browser> {
    const profile = await mkdtemp(path.join(tmpdir(), 'runway-shots-chromium-'));
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--remote-debugging-pipe'];
    const child = spawn(executable, [...args, `--user-data-dir=${profile}`, 'about:blank'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-2_000)));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new Error(`cannot start ${executable}: ${err.message}`)));
    });
    const browser = new Browser(child, profile);
    await browser.send('Browser.getVersion').catch((err: Error) => {
      throw new Error(`${err.message}\n${stderr}`);
    });
    return browser;
  }

  private dispatch(reply: Reply): void {
    if (reply.id !== undefined) {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.error) waiter?.reject(new Error(reply.error.message));
      else waiter?.resolve(reply);
      return;
    }
    for (const listener of this.listeners) listener(reply);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message = JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) });
    return new Promise((resolve, reject) => {
      // Nothing waits forever: a command Chromium never answers fails the script with its name.
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`chromium did not answer ${method} within ${COMMAND_TIMEOUT_MS / 1000} s`));
      }, COMMAND_TIMEOUT_MS);
      const settle =
        <T>(then: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          then(value);
        };
      this.pending.set(id, { resolve: settle((r: Reply) => resolve(r.result ?? {})), reject: settle(reject) });
      (this.child.stdio[3] as Writable).write(`${message}\0`);
    });
  }

  /** The next event `method` of this session, or an error after `timeoutMs`. */
  event(method: string, sessionId: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (r: Reply) => {
        if (r.method !== method || r.sessionId !== sessionId) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(r.params ?? {});
      };
      this.listeners.add(listener);
    });
  }

  async newPage(width: number, height: number): Promise<Page> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this, sessionId as string, width);
    await page.send('Page.enable');
    await page.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    return page;
  }

  async close(): Promise<void> {
    await this.send('Browser.close').catch(() => undefined);
    await Promise.race([new Promise((resolve) => this.child.once('exit', resolve)), sleep(5_000)]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    await rm(this.profile, { recursive: true, force: true });
  }
}

export class Page {
  constructor(
    private readonly browser: Browser,
    private readonly sessionId: string,
    private readonly width: number,
  ) {}

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.browser.send(method, params, this.sessionId);
  }

  async goto(url: string): Promise<void> {
    const loaded = this.browser.event('Page.loadEventFired', this.sessionId);
    const { errorText } = (await this.send('Page.navigate', { url })) as { errorText?: string };
    if (errorText) throw new Error(`cannot open ${url}: ${errorText}`);
    await loaded;
  }

  /** Runs `expression` (e.g. a click on a form's submit button) and waits for the page it loads. */
  async follow(expression: string): Promise<void> {
    const loaded = this.browser.event('Page.loadEventFired', this.sessionId);
    await this.evaluate(expression);
    await loaded;
  }

  /** Runs `expression` in the page (awaiting a promise) and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = (await this.send('Runtime.evaluate', {
      expression,
      awaitPromise: true,
      returnByValue: true,
    })) as { result?: { value?: T }; exceptionDetails?: { exception?: { description?: string }; text?: string } };
    if (exceptionDetails) {
      throw new Error(`in the page: ${exceptionDetails.exception?.description ?? exceptionDetails.text ?? 'error'}`);
    }
    return result?.value as T;
  }

  /**
   * Polls `expression` until it is truthy; the error names `what` was awaited. An error in the page (e.g. a
   * page that reloads itself between two polls) counts as not yet.
   */
  async waitFor<T>(expression: string, what: string, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await this.evaluate<T>(expression).catch(() => undefined);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await sleep(500);
    }
  }

  /**
   * A PNG of the rectangle `rectExpression` evaluates to ({x, y, width, height} in page coordinates), once it
   * has stayed the same for half a second (the pages re-render as they poll). A tab in the background draws no
   * frames, so the page is brought to the front first; and the window is made as tall as the document, so
   * fixed elements (the Slack page's command box) stay at its bottom instead of covering the picture.
   */
  async screenshot(file: string, rectExpression: string): Promise<void> {
    await this.send('Page.bringToFront');
    const height = await this.evaluate<number>('(window.scrollTo(0, 0), document.documentElement.scrollHeight)');
    await this.send('Emulation.setDeviceMetricsOverride', {
      width: this.width,
      height: Math.max(height, 200),
      deviceScaleFactor: 1,
      mobile: false,
    });
    type Rect = { x: number; y: number; width: number; height: number };
    let rect = await this.evaluate<Rect>(rectExpression);
    for (let i = 0; i < 20; i++) {
      await sleep(500);
      const again = await this.evaluate<Rect>(rectExpression);
      if (JSON.stringify(again) === JSON.stringify(rect)) break;
      rect = again;
    }
    const clip = {
      x: Math.max(0, Math.floor(rect.x)),
      y: Math.max(0, Math.floor(rect.y)),
      width: Math.ceil(rect.width),
      height: Math.ceil(rect.height),
      scale: 1,
    };
    const { data } = await this.send('Page.captureScreenshot', { format: 'png', clip });
    await writeFile(file, Buffer.from(data as string, 'base64'));
  }
}
