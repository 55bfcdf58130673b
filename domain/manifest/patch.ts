// Brings a set of fields to their desired values with the smallest text change. Each field is written
// into the source text one at a time (re-parsing in between, so ranges stay true); the result is checked
// against the same edit made through the Document API, which is also the fallback rendering when a
// layout cannot be edited in place.
import { parseDocuments, type YamlDocument } from './document.js';
import { applyToDocument, isSatisfied, type Field } from './fields.js';
import { editText } from './text-edit.js';

/** Finds the fields to write in freshly parsed documents; throws when the target is missing or ambiguous. */
export type FieldPlan = (docs: YamlDocument[]) => Field[];

export function rewrite(text: string, file: string, plan: FieldPlan): { text: string; changed: boolean } {
  const reference = parseDocuments(text, file);
  const fields = plan(reference);
  if (fields.every(isSatisfied)) return { text, changed: false };
  for (const field of fields) applyToDocument(field);
  const expected = dataOf(reference);

  const inPlace = editInPlace(text, file, plan, fields.length);
  if (inPlace !== null && dataOf(parseDocuments(inPlace, file)) === expected) return { text: inPlace, changed: true };

  const rendered = reference.map((doc) => doc.toString({ lineWidth: 0 })).join('');
  if (dataOf(parseDocuments(rendered, file)) !== expected) {
    throw new Error(`${file}: manifest edit did not round-trip; refusing to write it`);
  }
  return { text: rendered, changed: true };
}

function editInPlace(text: string, file: string, plan: FieldPlan, fieldCount: number): string | null {
  let current = text;
  // Each pass satisfies one field; the bound only guards against a plan that never settles.
  for (let pass = 0; pass <= fieldCount; pass++) {
    const pending = plan(parseDocuments(current, file)).find((field) => !isSatisfied(field));
    if (!pending) return current;
    const next = editText(current, pending);
    if (next === null || next === current) return null;
    current = next;
  }
  return null;
}

function dataOf(docs: YamlDocument[]): string {
  return JSON.stringify(docs.map((doc) => doc.toJS() as unknown));
}
