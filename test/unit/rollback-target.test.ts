import { describe, expect, it } from 'vitest';
import { chooseRollbackVersion, type DeployRecord } from '../../api/rollback-target.js';
import { rollbackId } from '../../domain/ids.js';

const REPO = 'registry.example.com/acme/pay';
const history: DeployRecord[] = [
  {
    environment: 'production',
    image: `${REPO}:v3`,
    previousImage: `${REPO}:v2`,
    releaseId: 'release/pay/c3',
    commit: 'c3',
    at: '3',
  },
  {
    environment: 'production',
    image: `${REPO}:v2`,
    previousImage: `${REPO}:v1`,
    releaseId: 'release/pay/c2',
    commit: 'c2',
    at: '2',
  },
  { environment: 'production', image: `${REPO}:v1`, releaseId: 'release/pay/c1', commit: 'c1', at: '1' },
];
class Invalid extends Error {}
const refusals = {
  conflict: (m: string) => Object.assign(new Error(m), { name: 'ConflictError' }),
  invalid: (m: string) => new Invalid(m),
};

describe('chooseRollbackVersion', () => {
  it('defaults to the version before the current one, with its commit', () => {
    expect(chooseRollbackVersion(history, REPO, {}, refusals)).toMatchObject({
      tag: 'v2',
      commit: 'c2',
      current: `${REPO}:v3`,
    });
  });

  it('goes to the version a given release deployed, however far back', () => {
    expect(chooseRollbackVersion(history, REPO, { releaseId: 'release/pay/c1' }, refusals)).toMatchObject({
      tag: 'v1',
      commit: 'c1',
    });
  });

  it('goes to any tag, with the commit when the history knows it', () => {
    expect(chooseRollbackVersion(history, REPO, { tag: 'v1' }, refusals)).toMatchObject({
      repository: REPO,
      tag: 'v1',
      commit: 'c1',
    });
    expect(chooseRollbackVersion(history, REPO, { tag: 'v0.9' }, refusals)).toMatchObject({
      tag: 'v0.9',
      commit: undefined,
    });
  });

  it('refuses what already runs (conflict), bad tags, unknown releases and both at once (invalid)', () => {
    expect(() => chooseRollbackVersion(history, REPO, { tag: 'v3' }, refusals)).toThrow(
      /already at v3 since .* nothing changed/,
    );
    for (const target of [
      { tag: '../etc' },
      { tag: 'a b' },
      { tag: '-x' },
      { releaseId: 'release/pay/nope' },
      { tag: 'v1', releaseId: 'release/pay/c1' },
    ]) {
      expect(() => chooseRollbackVersion(history, REPO, target, refusals)).toThrow(Invalid);
    }
    expect(() => chooseRollbackVersion([history[2]!], REPO, {}, refusals)).toThrow(/no earlier/);
  });

  it('gives one id per (service, environment, target)', () => {
    expect(rollbackId('pay', 'production', 'v2')).toBe('rollback/pay/production/v2');
  });
});
