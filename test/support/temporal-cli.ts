// Finds (or installs) the Temporal CLI through the repo's provisioning script.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/ensure-temporal.sh', import.meta.url));

export type TemporalExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

export function temporalExecutable(): TemporalExecutable {
  const found = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return found === 'sdk-download' ? { type: 'cached-download' } : { type: 'existing-path', path: found };
}
