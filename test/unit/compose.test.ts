// Keeps the container deployment consistent without a Docker engine: docker-compose.yml, .env.example,
// deploy/compose/runway.yaml, the Dockerfile and .dockerignore against each other and against the code.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

// ---- docker-compose.yml -------------------------------------------------------------------------

type EnvValue = string | number | boolean | null;
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  restart?: string;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  environment?: Record<string, EnvValue> | string[];
  ports?: (string | number | { target?: number; published?: string | number; host_ip?: string })[];
  volumes?: (string | { type?: string; source?: string; target?: string; read_only?: boolean })[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const composeText = read('docker-compose.yml');
// `merge: true`: compose resolves YAML merge keys (`<<: *runway`), so the test must too.
const compose = parse(composeText, { merge: true }) as Compose;
const services = compose.services;
const RUNWAY_SERVICES = ['runway-api', 'runway-worker'];

/** .env.example as a map; what an operator gets after `cp .env.example .env`. */
const dotenvExample = new Map(
  read('.env.example')
    .split('\n')
    .map((line) => /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!] as const),
);
/** A filled-in .env: the example with every empty value (the secrets) set to a dummy. */
const dotenv = new Map([...dotenvExample].map(([k, v]) => [k, v === '' ? `dummy-${k.toLowerCase()}` : v]));

// Compose interpolation: $$ escapes, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR.
const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

interface Reference {
  name: string;
  operator?: string;
  argument?: string;
}

function referencesIn(value: unknown): Reference[] {
  if (typeof value === 'string') {
    return [...value.matchAll(REFERENCE)]
      .filter((m) => m[0] !== '$$')
      .map((m) => ({ name: (m[1] ?? m[4])!, operator: m[2], argument: m[3] }));
  }
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(referencesIn);
  return [];
}

function interpolate(text: string, env: Map<string, string>): string {
  return text.replace(REFERENCE, (match, braced?: string, operator?: string, argument?: string, bare?: string) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare)!;
    const value = env.get(name);
    if (operator?.endsWith('-')) {
      const useDefault = value === undefined || (operator.startsWith(':') && value === '');
      return useDefault ? argument! : value;
    }
    const empty = value === undefined || (operator?.startsWith(':') && value === '');
    if (operator?.endsWith('?') && empty) throw new Error(`${name} is required: ${argument}`);
    return value ?? '';
  });
}

/** Every string in a service with .env interpolated, as `docker compose config` would show it. */
function resolved<T>(value: T): T {
  if (typeof value === 'string') return interpolate(value, dotenv) as T;
  if (Array.isArray(value)) return value.map(resolved) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolved(v)])) as T;
  }
  return value;
}

function environmentOf(service: Service): Record<string, EnvValue> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(
    env.map((entry) => {
      const eq = entry.indexOf('=');
      return eq < 0 ? [entry, null] : [entry.slice(0, eq), entry.slice(eq + 1)];
    }),
  );
}

/** The environment a container starts with: pass-through entries (no value) come from .env or stay unset. */
function containerEnv(service: Service): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(environmentOf(service))) {
    if (value === null) {
      if (dotenv.has(key)) env[key] = dotenv.get(key);
    } else env[key] = interpolate(String(value), dotenv);
  }
  return env;
}

function dependencies(service: Service): Record<string, string> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([d, v]) => [d, v.condition ?? 'service_started']));
}

function hasHealthcheck(service: Service): boolean {
  if (service.healthcheck) {
    const test = service.healthcheck.test;
    return !service.healthcheck.disable && !(Array.isArray(test) && test[0] === 'NONE');
  }
  // Otherwise the image's own HEALTHCHECK counts, for what we build.
  return usesDockerfile(service) && healthcheckOf(finalStage) !== undefined;
}

function usesDockerfile(service: Service): boolean {
  const build = service.build;
  if (build === undefined) return false;
  const context = typeof build === 'string' ? build : (build.context ?? '.');
  const dockerfile = typeof build === 'string' ? 'Dockerfile' : (build.dockerfile ?? 'Dockerfile');
  return posix.normalize(context) === '.' && dockerfile === 'Dockerfile';
}

interface PublishedPort {
  service: string;
  hostIp: string;
  host: number;
  container: number;
}

function publishedPorts(name: string, service: Service): PublishedPort[] {
  return resolved(service.ports ?? []).flatMap((port): PublishedPort[] => {
    if (typeof port === 'object') {
      if (port.published === undefined) return [];
      return [
        { service: name, hostIp: port.host_ip ?? '0.0.0.0', host: Number(port.published), container: port.target! },
      ];
    }
    const parts = String(port)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    if (parts.length < 2) return []; // container port only: Docker picks a host port
    const [container, host, hostIp = '0.0.0.0'] = parts.reverse();
    return [{ service: name, hostIp, host: Number(host), container: Number(container) }];
  });
}

interface Mount {
  type: string;
  source: string;
  target: string;
  readOnly: boolean;
}

function mountsOf(service: Service): Mount[] {
  return resolved(service.volumes ?? []).map((volume) => {
    if (typeof volume === 'object') {
      return {
        type: volume.type ?? 'volume',
        source: volume.source ?? '',
        target: volume.target ?? '',
        readOnly: volume.read_only === true,
      };
    }
    const [source, target, mode] = volume.split(':');
    if (target === undefined) return { type: 'volume', source: '', target: source!, readOnly: false };
    const bind = source!.startsWith('.') || source!.startsWith('/') || source!.startsWith('~');
    return {
      type: bind ? 'bind' : 'volume',
      source: source!,
      target,
      readOnly: mode?.split(',').includes('ro') ?? false,
    };
  });
}

const commandOf = (service: Service): string =>
  Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? '');

/** Services that others wait for with service_completed_successfully: one-shot jobs. */
const jobs = new Set(
  Object.values(services).flatMap((s) =>
    Object.entries(dependencies(s))
      .filter(([, condition]) => condition === 'service_completed_successfully')
      .map(([target]) => target),
  ),
);

// ---- Dockerfile ---------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name?: string;
  base: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    // Comment lines (parser directives included) are dropped, even inside a continued instruction.
    if (/^\s*#/.test(raw)) continue;
    const line = raw.trimEnd();
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const full = (pending + line.trim()).trim();
    pending = '';
    if (full) lines.push(full);
  }
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: rest };
    if (instruction.keyword === 'FROM') {
      const tokens = rest.split(/\s+/).filter((t) => !t.startsWith('--'));
      const base = tokens[0]!.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => args.get(n) ?? '');
      stages.push({ base, name: tokens[2]?.toLowerCase(), instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [name, value = ''] = rest.split('=');
      args.set(name!.trim(), value.trim());
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

const dockerfile = read('Dockerfile');
const stages = parseDockerfile(dockerfile);
const finalStage = stages.at(-1)!;
const stageNamed = (name: string) => stages.find((s) => s.name === name.toLowerCase());
const parentOf = (stage: Stage) => stageNamed(stage.base);
const instructionsOf = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

function workdirOf(stage: Stage): string {
  const own = instructionsOf(stage, 'WORKDIR').at(-1)?.args;
  if (own) return own;
  const parent = parentOf(stage);
  return parent ? workdirOf(parent) : '/';
}

function envOf(stage: Stage): Map<string, string> {
  const parent = parentOf(stage);
  const env = parent ? envOf(parent) : new Map<string, string>();
  for (const { args } of instructionsOf(stage, 'ENV')) {
    for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S+)/g)) {
      env.set(m[1]!, m[2]!.replace(/^["']|["']$/g, ''));
    }
  }
  return env;
}

function healthcheckOf(stage: Stage): string | undefined {
  const check = instructionsOf(stage, 'HEALTHCHECK').at(-1)?.args;
  return check && check.trim().toUpperCase() !== 'NONE' ? check : undefined;
}

interface Copy {
  from?: string;
  sources: string[];
  dest: string;
}

function copiesOf(stage: Stage): Copy[] {
  return instructionsOf(stage, 'COPY').map(({ args }) => {
    const tokens = args.split(/\s+/);
    const from = tokens.find((t) => t.startsWith('--from='))?.slice('--from='.length);
    const paths = tokens.filter((t) => !t.startsWith('--'));
    return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
  });
}

/** Top-level paths of the build context that end up in a stage, through its parents and COPY --from. */
function contextPathsIn(stage: Stage): Set<string> {
  const paths = new Set<string>();
  const parent = parentOf(stage);
  if (parent) contextPathsIn(parent).forEach((p) => paths.add(p));
  for (const copy of copiesOf(stage)) {
    if (copy.from === undefined) {
      copy.sources.forEach((s) => paths.add(posix.normalize(s).split('/')[0]!));
    } else {
      const source = stageNamed(copy.from);
      if (source) contextPathsIn(source).forEach((p) => paths.add(p));
    }
  }
  return paths;
}

/** Repository paths the entry points load at run time: relative imports, followed, and `new URL(...)` files. */
function runtimeFiles(entries: string[]): Set<string> {
  const files = new Set<string>();
  const queue = [...entries];
  while (queue.length) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    if (!file.endsWith('.ts')) continue;
    // Type-only imports are erased before running.
    const code = read(file).replace(/^\s*(?:import|export)\s+type\s[^;]*;/gm, '');
    const specifiers = [
      ...code.matchAll(/\bfrom\s+'(\.{1,2}\/[^']+)'/g),
      ...code.matchAll(/\bimport\s*\(?\s*'(\.{1,2}\/[^']+)'/g),
      ...code.matchAll(/new URL\(\s*'(\.{1,2}\/[^']+)'\s*,\s*import\.meta\.url\s*\)/g),
    ].map((m) => m[1]!);
    for (const specifier of specifiers) {
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      const ts = target.replace(/\.js$/, '.ts');
      queue.push(existsSync(join(root, ts)) ? ts : target);
    }
  }
  return files;
}

/** The TypeScript file tsc compiles into a dist/ path (tsconfig.build.json: rootDir ".", outDir "dist"). */
function sourceOf(distFile: string): string {
  return distFile.replace(/^dist\//, '').replace(/\.js$/, '.ts');
}

/** The stage that runs `npm run build`, and the build script itself. */
const buildScript = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.build!;
const buildStage = stages.find((s) => instructionsOf(s, 'RUN').some((i) => /\bnpm run build\b/.test(i.args)));

// ---- tests --------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  it('gives every service an image or a build', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.image ?? service.build, `${name} has neither image nor build`).toBeDefined();
    }
  });

  it('depends only on existing services, with conditions the targets can meet, and has no cycle', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [target, condition] of Object.entries(dependencies(service))) {
        const dependency = services[target];
        expect(dependency, `${name} depends on unknown service ${target}`).toBeDefined();
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
        if (condition === 'service_healthy') {
          expect(hasHealthcheck(dependency!), `${name} waits for ${target} to be healthy: no healthcheck`).toBe(true);
        }
      }
    }
    const visiting = new Set<string>();
    const visit = (name: string, path: string[]): void => {
      expect(visiting.has(name), `dependency cycle: ${[...path, name].join(' -> ')}`).toBe(false);
      visiting.add(name);
      Object.keys(dependencies(services[name]!)).forEach((d) => visit(d, [...path, name]));
      visiting.delete(name);
    };
    Object.keys(services).forEach((name) => visit(name, []));
  });

  it('runs one-shot jobs as one-shots: they exit, and are never restarted or published', () => {
    expect([...jobs].sort()).toEqual(['temporal-admin-tools', 'temporal-create-namespace']);
    for (const job of jobs) {
      const service = services[job]!;
      expect(service.restart ?? 'no', `${job} would restart after exiting 0`).toMatch(/^(no|on-failure(:\d+)?)$/);
      expect(service.ports, `${job} publishes ports`).toBeUndefined();
      expect(service.healthcheck, `${job} has a healthcheck but is waited on to exit`).toBeUndefined();
      expect(commandOf(service), `${job} has no command to run`).not.toBe('');
    }
    for (const [name, service] of Object.entries(services)) {
      if (!jobs.has(name)) expect(service.restart, `${name} is long-running`).toBe('unless-stopped');
    }
  });

  it('publishes each host port once, with Temporal and its UI on loopback only', () => {
    const ports = Object.entries(services).flatMap(([name, s]) => publishedPorts(name, s));
    const hostPorts = ports.map((p) => p.host);
    expect(new Set(hostPorts).size, `host ports ${hostPorts.join(', ')}`).toBe(hostPorts.length);
    expect(ports).toEqual(
      expect.arrayContaining([
        { service: 'temporal', hostIp: '127.0.0.1', host: 7233, container: 7233 },
        { service: 'temporal-ui', hostIp: '127.0.0.1', host: 8233, container: 8080 },
        { service: 'runway-api', hostIp: '0.0.0.0', host: 8080, container: 8080 },
      ]),
    );
    expect(ports.filter((p) => p.service === 'postgresql')).toEqual([]);
  });

  it('documents every variable it uses in .env.example, with the same defaults, and no others', () => {
    const references = referencesIn(compose);
    const passThrough = RUNWAY_SERVICES.flatMap((name) =>
      Object.entries(environmentOf(services[name]!))
        .filter(([, v]) => v === null)
        .map(([k]) => k),
    );
    const used = new Set([...references.map((r) => r.name), ...passThrough]);
    expect(
      [...used].filter((name) => !dotenvExample.has(name)),
      'missing from .env.example',
    ).toEqual([]);
    expect(
      [...dotenvExample.keys()].filter((name) => !used.has(name)),
      'unused in docker-compose.yml',
    ).toEqual([]);
    for (const ref of references) {
      const documented = dotenvExample.get(ref.name);
      if (ref.operator?.endsWith('-') && documented) {
        expect(documented, `.env.example and the compose default of ${ref.name} differ`).toBe(ref.argument);
      }
    }
    // Required values are left for the operator, not shipped.
    for (const ref of references.filter((r) => r.operator?.endsWith('?'))) {
      expect(dotenvExample.get(ref.name), `${ref.name} is required: no value in .env.example`).toBe('');
    }
  });

  it('declares and uses its named volumes, and bind-mounts paths that exist in the repository', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const named = new Set<string>();
    for (const [name, service] of Object.entries(services)) {
      for (const mount of mountsOf(service)) {
        if (mount.type === 'volume' && mount.source) {
          named.add(mount.source);
          expect(declared, `${name} mounts undeclared volume ${mount.source}`).toContain(mount.source);
        }
        if (mount.type === 'bind') {
          expect(mount.source, `${name}: bind mounts stay inside the repository`).toMatch(/^\.\//);
          expect(existsSync(join(root, mount.source)), `${name} mounts missing ${mount.source}`).toBe(true);
          expect(mount.readOnly, `${name} mounts ${mount.source} writable`).toBe(true);
        }
      }
    }
    expect(
      declared.filter((v) => !named.has(v)),
      'declared but unused volumes',
    ).toEqual([]);
  });

  it('builds runway-api and runway-worker from the Dockerfile as one image with two entry points', () => {
    const [api, worker] = RUNWAY_SERVICES.map((name) => services[name]!);
    for (const service of [api!, worker!]) expect(usesDockerfile(service)).toBe(true);
    expect(api!.image).toBe(worker!.image);
    // Compiled JavaScript (npm run build), no tsx: test/unit/compiled-build.test.ts runs these files.
    expect(commandOf(api!)).toBe('node dist/api/main.js');
    expect(commandOf(worker!)).toBe('node dist/worker/main.js');
    // The image's default command is the API.
    expect(instructionsOf(finalStage, 'CMD').at(-1)?.args).toBe('["node", "dist/api/main.js"]');
    expect(
      existsSync(join(root, sourceOf('dist/api/main.js'))) && existsSync(join(root, sourceOf('dist/worker/main.js'))),
    ).toBe(true);
    // The API starts once the worker has registered the search attributes the API filters on.
    expect(dependencies(api!)['runway-worker']).toBe('service_healthy');
  });

  it('mounts a runway.yaml that is valid with exactly the environment the containers get', () => {
    for (const name of RUNWAY_SERVICES) {
      const service = services[name]!;
      const env = containerEnv(service);
      const mount = mountsOf(service).find((m) => m.target === env.RUNWAY_CONFIG);
      expect(mount, `${name} mounts nothing at RUNWAY_CONFIG=${env.RUNWAY_CONFIG}`).toBeDefined();
      expect(mount!.readOnly).toBe(true);
      const text = read(mount!.source);
      // Throws a ConfigError naming any ${VAR} the container is not given.
      const config = parseConfig(text, env, mount!.source);

      const [host, port] = config.temporal.address.split(':');
      expect(services[host!], `temporal.address ${config.temporal.address} is not a service`).toBeDefined();
      expect(port).toBe('7233');
      expect(config.temporal.namespace).toBe(containerEnv(services['temporal-create-namespace']!).NAMESPACE);
      expect(config.temporal.namespace).toBe(containerEnv(services['temporal-ui']!).TEMPORAL_DEFAULT_NAMESPACE);

      // Every variable passed through is one the config uses (no stray secrets in the containers).
      const referenced = new Set(referencesIn(parse(text) as unknown).map((r) => r.name));
      const passed = Object.entries(environmentOf(service)).filter(([, v]) => v === null);
      expect(
        passed.map(([k]) => k).filter((k) => !referenced.has(k)),
        `${name} gets unused variables`,
      ).toEqual([]);

      const health = new URL(env.RUNWAY_HEALTH_URL!);
      expect(health.pathname).toBe('/healthz');
      if (name === 'runway-api') {
        expect(config.server.host, 'the API must listen on all interfaces in its container').toBe('0.0.0.0');
        expect(Number(health.port)).toBe(config.server.port);
        expect(publishedPorts(name, service).map((p) => p.container)).toEqual([config.server.port]);
      } else {
        expect(health.port).toBe(env.RUNWAY_METRICS_PORT);
        const data = mountsOf(service).find((m) => m.type === 'volume');
        expect(data, 'the worker needs a volume for its git cache').toBeDefined();
        expect(config.git.cacheDir.startsWith(`${data!.target}/`)).toBe(true);
      }
    }
  });
});

describe('Dockerfile', () => {
  it('is multi-stage on node:22-bookworm-slim (LTS), ships production dependencies only, runs as non-root', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(finalStage.base).toBe('node:22-bookworm-slim');
    // The runtime installs nothing itself: its node_modules come from a stage whose only install omits dev.
    expect(instructionsOf(finalStage, 'RUN').some((i) => /\bnpm (ci|install|i)\b/.test(i.args))).toBe(false);
    const modules = copiesOf(finalStage).filter((c) => c.sources.some((src) => /(^|\/)node_modules\/?$/.test(src)));
    expect(modules).toHaveLength(1);
    const depsStage = stageNamed(modules[0]!.from ?? '');
    expect(depsStage, 'node_modules must come from a named stage').toBeDefined();
    const installs = instructionsOf(depsStage!, 'RUN').filter((i) => /\bnpm (ci|install|i)\b/.test(i.args));
    expect(installs).toHaveLength(1);
    expect(installs[0]!.args).toMatch(/\bnpm ci\b.*--omit=dev/);
    // The build stage (with typescript and tsx) contributes dist/ and nothing else.
    expect(buildStage, 'no stage runs npm run build').toBeDefined();
    expect(buildStage).not.toBe(finalStage);
    const fromBuild = copiesOf(finalStage).filter((c) => c.from?.toLowerCase() === buildStage!.name);
    expect(fromBuild.flatMap((c) => c.sources.map((src) => posix.normalize(src)))).toEqual([
      posix.join(workdirOf(buildStage!), 'dist'),
    ]);
    const user = instructionsOf(finalStage, 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user!.split(':')[0]).toBe('10001');
    const finalRuns = instructionsOf(finalStage, 'RUN').map((i) => i.args);
    expect(finalRuns.join('\n')).toMatch(/apt-get install[^\n]*\bgit\b[^\n]*/);
    expect(finalRuns.join('\n')).toMatch(/apt-get install[^\n]*\bca-certificates\b/);
    // The image reads its config where compose mounts it.
    expect(envOf(finalStage).get('RUNWAY_CONFIG')).toBe(containerEnv(services['runway-api']!).RUNWAY_CONFIG);
  });

  it('has one HEALTHCHECK for both roles, probing RUNWAY_HEALTH_URL (the API by default)', () => {
    const check = healthcheckOf(finalStage);
    expect(check).toMatch(/RUNWAY_HEALTH_URL/);
    expect(envOf(finalStage).get('RUNWAY_HEALTH_URL')).toBe('http://127.0.0.1:8080/healthz');
  });

  it('sets RUNWAY_WORKFLOW_BUNDLE to the bundle npm run build writes into dist/, copied into the final stage', () => {
    const output = /scripts\/bundle-workflows\.ts\s+(\S+)/.exec(buildScript)?.[1];
    expect(output, 'npm run build must bundle the workflows into dist/').toMatch(/^dist\//);
    const produced = posix.resolve(workdirOf(buildStage!), output!);
    // The build stage can see what it compiles and bundles.
    expect([...contextPathsIn(buildStage!)]).toEqual(
      expect.arrayContaining(['workflows', 'scripts', 'tsconfig.json', 'tsconfig.build.json']),
    );
    const bundlePath = envOf(finalStage).get('RUNWAY_WORKFLOW_BUNDLE');
    const copiedDist = copiesOf(finalStage)
      .filter((c) => c.from?.toLowerCase() === buildStage!.name)
      .map((c) => ({
        from: posix.resolve(workdirOf(buildStage!), c.sources[0]!),
        to: posix.resolve(workdirOf(finalStage), c.dest),
      }));
    const landed = copiedDist
      .filter(({ from }) => produced.startsWith(`${from}/`))
      .map(({ from, to }) => posix.join(to, produced.slice(from.length)));
    expect(landed).toContain(bundlePath);
  });

  it('compiles every directory the entry points load, and .dockerignore keeps them in the context', () => {
    const needed = new Set(
      [...runtimeFiles(['api/main.ts', 'worker/main.ts', 'cli/check.ts'])]
        // Build outputs (the worker's dist/workflow-bundle.js, found beside dist/worker/) are not sources.
        .filter((f) => existsSync(join(root, f)))
        .map((f) => f.split('/')[0]!),
    );
    const inBuild = contextPathsIn(buildStage!);
    expect(
      [...needed].filter((p) => !inBuild.has(p)),
      'not copied into the build stage',
    ).toEqual([]);
    const buildConfig = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    expect(
      [...needed].filter((p) => !buildConfig.include.includes(p)),
      'not in tsconfig.build.json include',
    ).toEqual([]);
    // The runtime gets package.json ("type": "module" makes dist/*.js ES modules) beside dist/ and node_modules.
    const inImage = contextPathsIn(finalStage);
    expect([...inImage]).toEqual(expect.arrayContaining(['package.json']));
    const ignored = new Set(
      read('.dockerignore')
        .split('\n')
        .map((l) => l.trim().replace(/^\/|\/$/g, ''))
        .filter((l) => l && !l.startsWith('#')),
    );
    expect(
      [...inImage, ...inBuild].filter((p) => ignored.has(p)),
      'copied but excluded by .dockerignore',
    ).toEqual([]);
    for (const secretOrState of ['.env', '.git', 'node_modules', '.data', 'dist', '.tools']) {
      expect(ignored, `.dockerignore should exclude ${secretOrState}`).toContain(secretOrState);
    }
  });
});

describe('scripts/bundle-workflows.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runway-bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a bundle that the worker can load: it replays a saved release history', async () => {
    const { writeWorkflowBundle } = await import('../../scripts/bundle-workflows.js');
    const { DefaultLogger, Runtime, Worker } = await import('@temporalio/worker');
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') }); // replay chatter off
    } catch {
      // a Runtime exists already in this process: keep it
    }
    const { path, bytes } = await writeWorkflowBundle(join(dir, 'dist/workflow-bundle.js'));
    expect(bytes).toBeGreaterThan(0);
    const history: unknown = JSON.parse(read('test/histories/release-succeeded.json'));
    // The same option worker/create-worker.ts passes when RUNWAY_WORKFLOW_BUNDLE is set.
    await Worker.runReplayHistory({ workflowBundle: { codePath: path } }, history, 'release-succeeded');
  }, 180_000);
});
