// A Temporal dev server on its own SQLite file, so the chaos run can SIGKILL it and start it again on the
// same data and port: what a crashed or redeployed Temporal does to Runway.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { devServerSearchAttributeFlags } from '../domain/search-attributes.js';

export class TemporalServer {
  private process?: ChildProcess;
  private killed = false;
  /** Exits we did not cause. */
  crashes = 0;

  constructor(
    private readonly executable: string,
    readonly port: number,
    private readonly dbFile: string,
    private readonly logFile: string,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const log = openSync(this.logFile, 'a');
    this.killed = false;
    const child = spawn(
      this.executable,
      [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--headless',
        '--db-filename',
        this.dbFile,
        '--log-level',
        'error',
        ...devServerSearchAttributeFlags(),
        '--dynamic-config-value',
        'frontend.enableUpdateWorkflowExecution=true',
      ],
      { stdio: ['ignore', log, log] },
    );
    child.once('exit', () => {
      if (!this.killed) this.crashes += 1;
    });
    this.process = child;
    await this.waitUntilServing(60_000);
  }

  async sigkill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.killed = true;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  private async waitUntilServing(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const connection = await Connection.connect({ address: this.address, connectTimeout: 1_000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: 'default' });
          return;
        } finally {
          await connection.close();
        }
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`Temporal did not serve within ${timeoutMs} ms: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}
