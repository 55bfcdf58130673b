// `runway check`'s Temporal part against the real dev server the suite runs on: reachable, the namespace,
// Runway's search attributes; and a namespace that does not exist, with the command that creates it.
import { describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { checkTemporal } from '../../platform/check/temporal.js';

const config = (namespace: string) =>
  parseConfig(`temporal: { address: '${inject('temporalAddress')}', namespace: ${namespace} }\nservices: {}\n`, {});

describe('runway check: Temporal', () => {
  it('passes the dev server of the suite, where the search attributes are registered', async () => {
    const results = await checkTemporal(config('default'));
    expect(results.map((r) => [r.check, r.status])).toEqual([
      [`reachable at ${inject('temporalAddress')}`, 'ok'],
      ['namespace default', 'ok'],
      ['search attributes', 'ok'],
      ['no open run needs a retired patch path', 'ok'],
    ]);
  });

  it('fails on a namespace that does not exist and says how to create it', async () => {
    const results = await checkTemporal(config('no-such-namespace'));
    const namespace = results.find((r) => r.check === 'namespace no-such-namespace');
    expect(namespace).toMatchObject({ status: 'fail' });
    expect(namespace!.fix).toBe('temporal operator namespace create --namespace no-such-namespace');
  });
});
