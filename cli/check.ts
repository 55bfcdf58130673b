// `runway check` (npm run check, or `check` in the container image): checks every credential and target of
// runway.yaml and says what to fix. Exit code 1 when any check fails; --json for CI.
import { ConfigError } from '../config/load.js';
import { loadProductionConfig } from '../config/runtime.js';
import { failed, formatJson, formatText, runChecks } from '../platform/check/index.js';

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      'usage: runway check [--json]\n  checks runway.yaml (or $RUNWAY_CONFIG) against the real systems\n',
    );
    return 0;
  }
  let runtime: ReturnType<typeof loadProductionConfig>;
  try {
    runtime = loadProductionConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (json)
      process.stdout.write(
        `${JSON.stringify({ ok: false, config: err.problems.length ? err.problems : [err.message] }, null, 2)}\n`,
      );
    else process.stderr.write(`${err.message}\n`);
    return 2;
  }
  if (!json) process.stdout.write(`Checking ${runtime.path}…\n\n`);
  const results = await runChecks(runtime.config, {
    publicUrl: process.env.RUNWAY_PUBLIC_URL,
    prometheusUrl: process.env.RUNWAY_PROMETHEUS_URL,
  });
  process.stdout.write(`${json ? formatJson(results) : formatText(results)}\n`);
  return failed(results) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`runway check failed to run: ${(err as Error).message}\n`);
    process.exit(2);
  },
);
