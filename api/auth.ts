// Bearer tokens from runway.yaml with roles (read, deploy, approve). Tokens are compared by their
// SHA-256 in constant time, so the config may hold only the hash.
import type { MiddlewareHandler } from 'hono';
import type { RunwayConfig } from '../config/schema.js';
import { sameDigest, sha256 } from '../platform/constant-time.js';
import { errorBody } from './errors.js';

export type Role = 'read' | 'deploy' | 'approve';

export interface Caller {
  name: string;
  roles: Role[];
}

export type AuthVariables = { caller: Caller };

export function tokenTable(config: RunwayConfig): { hash: Buffer; caller: Caller }[] {
  return config.api.tokens.map((t) => ({
    hash: t.sha256 ? Buffer.from(t.sha256, 'hex') : sha256(t.token!),
    caller: { name: t.name, roles: t.roles },
  }));
}

export function requireRole(config: RunwayConfig, role: Role): MiddlewareHandler<{ Variables: AuthVariables }> {
  const table = tokenTable(config);
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) return c.json(errorBody('unauthorized', 'missing bearer token'), 401);
    const presented = sha256(match[1]!.trim());
    // Check every entry (no early exit) so timing says nothing about which token matched.
    let caller: Caller | undefined;
    for (const entry of table) if (sameDigest(entry.hash, presented)) caller = entry.caller;
    if (!caller) {
      // With no tokens at all, say so: "unknown token" would send people hunting for a typo.
      const why = table.length === 0 ? 'no API tokens are configured (api.tokens in runway.yaml)' : 'unknown token';
      return c.json(errorBody('unauthorized', why), 401);
    }
    if (!caller.roles.includes(role)) return c.json(errorBody('forbidden', `this token lacks the "${role}" role`), 403);
    c.set('caller', caller);
    await next();
  };
}
