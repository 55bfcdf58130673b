// Writes the JSON schemas kubeconform checks Runway's Kubernetes objects against (deploy/schemas/), in its
// file naming (`{kind}{-group}-{version}.json`), standalone (every $ref inlined) and strict (no property the
// API does not know), like kubeconform's own openapi2jsonschema.py --strict --standalone.
// Inputs: Kubernetes' OpenAPI v2 document and CustomResourceDefinition files. deploy/schemas/README.md says
// which versions the vendored files come from. Usage (a development step, not run by tests):
//   npx tsx scripts/kubernetes-json-schemas.ts <swagger.json> <crd.yaml>... [--out deploy/schemas]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

type Schema = { [key: string]: unknown };
interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** The built-in kinds deploy/ renders; a new kind in a chart or manifest needs its schema added here. */
export const BUILT_IN_KINDS: GroupVersionKind[] = [
  { group: 'apps', version: 'v1', kind: 'Deployment' },
  { group: '', version: 'v1', kind: 'ConfigMap' },
  { group: '', version: 'v1', kind: 'Secret' },
  { group: '', version: 'v1', kind: 'Service' },
  { group: '', version: 'v1', kind: 'ServiceAccount' },
  { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role' },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding' },
];

/** kubeconform's file name for a kind: lower-case kind, first label of the group, version. */
export function schemaFileName({ group, version, kind }: GroupVersionKind): string {
  const groupPart = group ? `-${group.split('.')[0]!.toLowerCase()}` : '';
  return `${kind.toLowerCase()}${groupPart}-${version}.json`;
}

const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** API-server semantics JSON Schema cannot say by itself: int-or-string, quantities, null for unset. */
function normalize(schema: Schema, definitions: Record<string, Schema>, seen: string[]): Schema {
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/definitions/', '');
    if (seen.includes(name)) throw new Error(`recursive definition ${[...seen, name].join(' -> ')}`);
    if (name === 'io.k8s.apimachinery.pkg.util.intstr.IntOrString')
      return { oneOf: [{ type: 'string' }, { type: 'integer' }] };
    if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity')
      return { oneOf: [{ type: 'string' }, { type: 'number' }] };
    const target = definitions[name];
    if (!target) throw new Error(`unknown definition ${name}`);
    return normalize(target, definitions, [...seen, name]);
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description' || key === 'format' || key.startsWith('x-')) continue;
    if (key === 'properties' && isObject(value)) {
      const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, property]) => {
          const converted = normalize(property as Schema, definitions, seen);
          // The API server takes null for an optional field as "unset" (helm renders empty values as null).
          return [name, required.has(name) ? converted : nullable(converted)];
        }),
      );
    } else if (isObject(value) && key !== 'enum' && key !== 'default' && key !== 'example') {
      out[key] = normalize(value, definitions, seen);
    } else if (Array.isArray(value) && (key === 'allOf' || key === 'anyOf' || key === 'oneOf')) {
      out[key] = value.map((item) => normalize(item as Schema, definitions, seen));
    } else {
      out[key] = value;
    }
  }
  if (schema['x-kubernetes-int-or-string'] === true) {
    delete out.anyOf;
    delete out.type;
    out.oneOf = [{ type: 'string' }, { type: 'integer' }];
  }
  // Strict: an object with known properties accepts no others, unless the API keeps unknown fields.
  if (isObject(out.properties) && out.additionalProperties === undefined) {
    if (schema['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false;
  }
  return out;
}

function nullable(schema: Schema): Schema {
  if (typeof schema.type === 'string') return { ...schema, type: [schema.type, 'null'] };
  if (schema.type === undefined && (schema.oneOf || schema.anyOf)) return { anyOf: [schema, { type: 'null' }] };
  return schema;
}

/** apiVersion and kind must be exactly the kind's: a schema never validates another kind by accident. */
function pinKind(schema: Schema, gvk: GroupVersionKind): Schema {
  const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
  const properties = { ...(schema.properties as Schema) };
  properties.apiVersion = { type: 'string', enum: [apiVersion] };
  properties.kind = { type: 'string', enum: [gvk.kind] };
  const required = new Set([...((schema.required as string[] | undefined) ?? []), 'apiVersion', 'kind']);
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...schema, properties, required: [...required] };
}

export function builtInSchema(openapi: { definitions: Record<string, Schema> }, gvk: GroupVersionKind): Schema {
  const entry = Object.entries(openapi.definitions).find(([, definition]) =>
    ((definition['x-kubernetes-group-version-kind'] as GroupVersionKind[] | undefined) ?? []).some(
      (g) => g.group === gvk.group && g.version === gvk.version && g.kind === gvk.kind,
    ),
  );
  if (!entry) throw new Error(`the OpenAPI document has no ${gvk.group}/${gvk.version} ${gvk.kind}`);
  return pinKind(normalize(entry[1], openapi.definitions, [entry[0]]), gvk);
}

interface CustomResourceDefinition {
  kind: string;
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served: boolean; schema?: { openAPIV3Schema?: Schema } }[];
  };
}

export function crdSchemas(crd: CustomResourceDefinition): { gvk: GroupVersionKind; schema: Schema }[] {
  if (crd.kind !== 'CustomResourceDefinition') throw new Error(`not a CustomResourceDefinition: ${crd.kind}`);
  return crd.spec.versions
    .filter((v) => v.served && v.schema?.openAPIV3Schema)
    .map((v) => {
      const gvk = { group: crd.spec.group, version: v.name, kind: crd.spec.names.kind };
      return { gvk, schema: pinKind(normalize(v.schema!.openAPIV3Schema!, {}, []), gvk) };
    });
}

function main(argv: string[]): void {
  const outIndex = argv.indexOf('--out');
  const out = outIndex >= 0 ? argv[outIndex + 1]! : 'deploy/schemas';
  const inputs = argv.filter((_, i) => i !== outIndex && i !== outIndex + 1);
  const [openapiFile, ...crdFiles] = inputs;
  if (!openapiFile) throw new Error('usage: kubernetes-json-schemas.ts <swagger.json> <crd.yaml>... [--out dir]');
  mkdirSync(out, { recursive: true });
  const write = (gvk: GroupVersionKind, schema: Schema) => {
    writeFileSync(join(out, schemaFileName(gvk)), `${JSON.stringify(schema)}\n`);
    console.log(`${schemaFileName(gvk)}: ${gvk.group || 'core'}/${gvk.version} ${gvk.kind}`);
  };
  const openapi = JSON.parse(readFileSync(openapiFile, 'utf8')) as { definitions: Record<string, Schema> };
  for (const gvk of BUILT_IN_KINDS) write(gvk, builtInSchema(openapi, gvk));
  for (const file of crdFiles) {
    for (const { gvk, schema } of crdSchemas(parse(readFileSync(file, 'utf8')) as CustomResourceDefinition)) {
      write(gvk, schema);
    }
  }
}

if (process.argv[1]?.endsWith('kubernetes-json-schemas.ts')) main(process.argv.slice(2));
