// Registers Runway's search attributes in the namespace. Idempotent: existing keys are left alone,
// so every worker can call it at start.
import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../domain/search-attributes.js';

// @temporalio/proto is CommonJS: a default import works under both Node ESM and vitest.
const { IndexedValueType } = proto.temporal.api.enums.v1;

export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  const missing = RUNWAY_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((key) => [
          key.name,
          key.type === SearchAttributeType.INT
            ? IndexedValueType.INDEXED_VALUE_TYPE_INT
            : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        ]),
      ),
    });
  } catch (err) {
    // Another worker may have registered them a moment ago.
    if (!/already exists/i.test((err as Error).message)) throw err;
  }
  return missing.map((key) => key.name);
}
