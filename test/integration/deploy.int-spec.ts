import { execFile } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  OPTIONS,
  type SectionName,
  declaredOptions,
  envName,
  loadConfig,
  parseIni,
} from '@glimpse/config';

/**
 * The deployment files, checked as far as this machine can without a Docker engine or a cluster:
 * deploy/validate/validate-deploy.mjs parses docker-compose.yml against the compose-spec schema and
 * renders deploy/k8s with the real Helm (default values and deploy/k8s/ci/full-values.yaml),
 * validating every manifest against the Kubernetes schemas; this suite checks its verdict and the
 * wiring that a schema cannot see, against Glimpse's own config loader and health routes.
 */

const ROOT = join(__dirname, '../..');
/** The image's defaults, laid under the config files given (deploy/docker/entrypoint.sh). */
const CONTAINER_CONF = join(ROOT, 'deploy/docker/container.conf');
const VALIDATOR = join(ROOT, 'deploy/validate/validate-deploy.mjs');
const run = promisify(execFile);

/** The HTTP port option of each app: where its /healthcheck is. */
const APP_PORT_OPTION: Record<string, [SectionName, string]> = {
  api: ['DEFAULT', 'bind_port'],
  registry: ['registry', 'registry_health_port'],
  'cache-agent': ['cache_agent', 'cache_agent_port'],
  scrubber: ['scrubber', 'scrubber_health_port'],
  pruner: ['pruner', 'pruner_health_port'],
};
const APPS = Object.keys(APP_PORT_OPTION);

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}
interface Probe {
  httpGet?: { path: string; port: number | string };
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
}
interface Container {
  name: string;
  args?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Volume {
  name: string;
  hostPath?: { path: string };
  emptyDir?: object;
  configMap?: { name: string };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  securityContext?: SecurityContext;
  serviceAccountName?: string;
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    template?: {
      metadata?: { labels?: Record<string, string> };
      spec: PodSpec;
    };
    selector?: Record<string, string> & {
      matchLabels?: Record<string, string>;
    };
    internalTrafficPolicy?: string;
    ports?: { port: number; targetPort: number | string }[];
    scaleTargetRef?: { kind: string; name: string };
    rules?: { http: { paths: { backend: { service: { name: string } } }[] } }[];
  };
}
interface Report {
  ok: boolean;
  kubeVersion: string;
  helm: string[];
  compose: {
    file: string;
    errors: string[];
    missing: Record<string, string>;
    unsetMissing: Record<string, string>;
    model: ComposeModel | null;
  }[];
  renders: {
    helm: string;
    name: string;
    errors: string[];
    manifests: Manifest[];
  }[];
  manifests: { file: string; errors: string[] }[];
}
interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  cap_drop?: string[];
  read_only?: boolean;
  restart?: string;
  volumes?: string[];
  ports?: string[];
}
interface ComposeModel {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

async function validator(...args: string[]): Promise<Report> {
  try {
    const { stdout } = await run(
      process.execPath,
      [VALIDATOR, '--json', ...args],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
    );
    return JSON.parse(stdout) as Report;
  } catch (error) {
    // Exit status 1: problems found; the report is still on stdout.
    const stdout = (error as { stdout?: string }).stdout;
    if (!stdout) throw error;
    return JSON.parse(stdout) as Report;
  }
}

/** The GET routes of the health controller every app mounts, e.g. /healthcheck. */
function healthRoutes(): string[] {
  const source = readFileSync(
    join(ROOT, 'libs/bus/src/health.controller.ts'),
    'utf8',
  );
  return [...source.matchAll(/@Get\('([^']+)'\)/g)].map((m) => `/${m[1]}`);
}

const declared = new Map(declaredOptions().map((o) => [o.name, o.section]));

function iniOptions(
  text: string,
): Map<string, { section: string; value: string }> {
  const { entries, errors } = parseIni(text);
  expect(errors).toEqual([]);
  return new Map(
    entries.map((e) => [e.key, { section: e.section, value: e.value }]),
  );
}

/** The value, or a failure naming what is missing. */
function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined)
    throw new Error(`${what} is missing`);
  return value;
}

const nameOf = (m: Manifest) => `${m.kind}/${m.metadata.name}`;
const podOf = (m: Manifest): PodSpec =>
  present(m.spec?.template?.spec, `${nameOf(m)} pod template`);
const podLabelsOf = (m: Manifest) =>
  present(m.spec?.template?.metadata?.labels, `${nameOf(m)} pod labels`);
const specOf = (m: Manifest) => present(m.spec, `${nameOf(m)} spec`);
const dataOf = (m: Manifest, key: string) =>
  present(m.data?.[key], `${nameOf(m)} data.${key}`);

/** The default of an app's port option in libs/config. */
function defaultOf(app: string): unknown {
  const [section, option] = APP_PORT_OPTION[app];
  return (OPTIONS[section] as Record<string, { default: unknown }>)[option]
    .default;
}

/** The app a container runs: the image's first argument. */
function appOf(container: Container): string {
  return container.args?.[0] ?? '';
}

function podSpecs(manifests: Manifest[]): { owner: string; pod: PodSpec }[] {
  return manifests
    .filter((m) => m.spec?.template?.spec)
    .map((m) => ({ owner: `${m.kind}/${m.metadata.name}`, pod: podOf(m) }));
}

function hookEvents(manifest: Manifest): string[] {
  return (manifest.metadata.annotations?.['helm.sh/hook'] ?? '')
    .split(',')
    .filter(Boolean);
}

let report: Report;
let scratch: string;
beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'glimpse-deploy-'));
  report = await validator();
}, 180000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('docker-compose.yml', () => {
  const compose = () => report.compose[0];
  const services = () => present(compose().model, 'the compose model').services;
  const glimpseServices = () =>
    Object.entries(services()).filter(
      ([, s]) => s.image === services().api.image,
    );

  it('parses and validates against the compose-spec schema, before and after interpolation', () => {
    expect(compose().file).toBe('docker-compose.yml');
    expect(compose().errors).toEqual([]);
    expect(Object.keys(services()).sort()).toEqual([
      'api',
      'cache-agent',
      'migrate',
      'minio',
      'minio-bucket',
      'mysql',
      'nats',
      'pruner',
      'registry',
      'scrubber',
    ]);
  });

  it('requires its secrets with ${VAR:?message} and names them when they are missing', () => {
    expect(compose().missing).toEqual({});
    const missing = compose().unsetMissing;
    expect(Object.keys(missing).sort()).toEqual([
      'MINIO_ROOT_PASSWORD',
      'MYSQL_PASSWORD',
      'MYSQL_ROOT_PASSWORD',
    ]);
    for (const [variable, message] of Object.entries(missing))
      expect(message).toContain(`set ${variable}`);
  });

  it('runs NATS with JetStream, MySQL 8 and MinIO, and points the S3 store at MinIO', () => {
    expect(services().nats.command).toContain('--jetstream');
    expect(services().mysql.image).toMatch(/^mysql:8\./);
    expect(services().api.environment).toMatchObject({
      GLIMPSE_DEFAULT_STORE: 's3',
      GLIMPSE_S3_STORE_HOST: 'http://minio:9000',
      GLIMPSE_TRANSPORT: 'nats',
      GLIMPSE_NATS_URL: 'nats://nats:4222',
    });
    expect(services()['minio-bucket'].depends_on).toEqual({
      minio: { condition: 'service_healthy' },
    });
    expect(services().api.ports).toEqual(['9292:9292']);
  });

  it('starts every service only once what it needs is healthy, or has run to completion', () => {
    const oneShot = new Set(['migrate', 'minio-bucket']);
    for (const [name, service] of Object.entries(services())) {
      if (!oneShot.has(name))
        expect({
          name,
          healthcheck: Array.isArray(service.healthcheck?.test),
        }).toEqual({ name, healthcheck: true });
      for (const [dependency, { condition }] of Object.entries(
        service.depends_on ?? {},
      )) {
        expect({ name, dependency, condition }).toEqual({
          name,
          dependency,
          condition: oneShot.has(dependency)
            ? 'service_completed_successfully'
            : 'service_healthy',
        });
      }
    }
    expect(services().registry.depends_on?.migrate).toEqual({
      condition: 'service_completed_successfully',
    });
    expect(services().migrate.command).toEqual(['migrate']);
    expect(services().registry.environment?.GLIMPSE_AUTO_MIGRATE).toBe('false');
    for (const app of ['api', 'cache-agent', 'scrubber', 'pruner'])
      expect(Object.keys(services()[app].depends_on ?? {})).toEqual(
        expect.arrayContaining(['nats']),
      );
  });

  it('drops every capability, and keeps data in named volumes only', () => {
    for (const [name, service] of Object.entries(services())) {
      expect({ name, cap_drop: service.cap_drop }).toEqual({
        name,
        cap_drop: ['ALL'],
      });
      for (const mount of service.volumes ?? [])
        expect(
          Object.keys(present(compose().model, 'the compose model').volumes),
        ).toContain(mount.split(':')[0]);
    }
  });

  it('runs each Glimpse app from the one image, read-only, health-checked on its own port', () => {
    expect(
      glimpseServices()
        .map(([name]) => name)
        .sort(),
    ).toEqual([...APPS, 'migrate'].sort());
    for (const [name, service] of glimpseServices()) {
      expect(service.read_only).toBe(true);
      const app = service.command?.[0];
      expect(app).toBe(name);
      if (name === 'migrate') continue;
      expect(service.healthcheck?.test).toEqual([
        'CMD',
        'node',
        '/app/deploy/docker/healthcheck.js',
        name,
      ]);
      expect(service.environment?.[envName(APP_PORT_OPTION[name][1])]).toBe(
        String(defaultOf(name)),
      );
    }
  });

  it('sets only options Glimpse declares, and the apps load them', () => {
    for (const [name, service] of glimpseServices()) {
      const env = service.environment ?? {};
      for (const key of Object.keys(env).filter((k) =>
        k.startsWith('GLIMPSE_'),
      )) {
        expect({
          service: name,
          key,
          declared: declared.has(key.slice('GLIMPSE_'.length).toLowerCase()),
        }).toEqual({ service: name, key, declared: true });
      }
      const config = loadConfig({ argv: [], env });
      if (name !== 'migrate') {
        expect(config.DEFAULT.transport).toBe('nats');
        expect(config.DEFAULT.image_cache_dir).toBe(
          '/var/lib/glimpse/image-cache',
        );
      }
      if (name === 'registry' || name === 'migrate')
        expect(config.database.connection).toBe(
          'mysql://glimpse:check-password@mysql:3306/glimpse',
        );
    }
  });
});

describe.each([
  'default values',
  'deploy/k8s/ci/minimal-values.yaml',
  'deploy/k8s/ci/full-values.yaml',
])('deploy/k8s rendered with %s', (valuesName) => {
  const render = () => {
    return present(
      report.renders.find(
        (r) => r.name === valuesName && r.helm.startsWith('v4.'),
      ),
      `the Helm 4 render with ${valuesName}`,
    );
  };
  const manifests = () => render().manifests;
  const one = (kind: string, name: string) => {
    const found = manifests().filter(
      (m) => m.kind === kind && m.metadata.name === name,
    );
    expect(found).toHaveLength(1);
    return found[0];
  };
  const configMap = () => one('ConfigMap', 'glimpse');
  const glimpseConf = () => iniOptions(dataOf(configMap(), 'glimpse.conf'));
  const workloads = () =>
    manifests().filter((m) => ['Deployment', 'DaemonSet'].includes(m.kind));
  const workloadOf = (app: string) => {
    const found = workloads().filter((m) =>
      podOf(m).containers.some((c) => appOf(c) === app),
    );
    expect(found).toHaveLength(1);
    return found[0];
  };
  const containerOf = (app: string) =>
    present(
      podOf(workloadOf(app)).containers.find((c) => appOf(c) === app),
      `the ${app} container`,
    );

  it('renders with Helm 4 and Helm 3 alike, and every manifest validates against the Kubernetes schemas', () => {
    expect(report.kubeVersion).toMatch(/^1\.3[6-9]\./);
    expect(render().errors).toEqual([]);
    expect(manifests().length).toBeGreaterThanOrEqual(12);
    const helm3 = present(
      report.renders.find(
        (r) => r.name === valuesName && r.helm.startsWith('v3.'),
      ),
      `the Helm 3 render with ${valuesName}`,
    );
    expect(helm3.errors).toEqual([]);
    expect(helm3.manifests).toEqual(manifests());
  });

  it('runs the api as a Deployment behind a Service and a PodDisruptionBudget, each app as its own workload', () => {
    expect(
      Object.fromEntries(APPS.map((app) => [app, workloadOf(app).kind])),
    ).toEqual({
      api: 'Deployment',
      registry: 'Deployment',
      'cache-agent': 'DaemonSet',
      scrubber: 'Deployment',
      pruner: 'Deployment',
    });
    const apiLabels = podLabelsOf(workloadOf('api'));
    const service = one('Service', 'glimpse-api');
    expect(apiLabels).toMatchObject(
      present(specOf(service).selector, 'the api Service selector'),
    );
    expect(specOf(service).ports?.map((p) => p.targetPort)).toEqual(['http']);
    expect(apiLabels).toMatchObject(
      present(
        specOf(one('PodDisruptionBudget', 'glimpse-api')).selector?.matchLabels,
        'the PodDisruptionBudget selector',
      ),
    );
  });

  it("renders the configuration in Glimpse's ini layout, and Glimpse's config loader accepts it", () => {
    const file = join(scratch, `${valuesName.replace(/\W+/g, '-')}.conf`);
    writeFileSync(file, dataOf(configMap(), 'glimpse.conf'));
    // As the image's entrypoint runs it: its container.conf first, then GLIMPSE_CONFIG_FILE's.
    const config = loadConfig({
      argv: [],
      env: { GLIMPSE_CONFIG_FILE: `${CONTAINER_CONF},${file}` },
    });
    expect(config.DEFAULT.transport).toBe('nats');
    expect(config.DEFAULT.bind_host).toBe('0.0.0.0');
    expect(config.backends.map((b) => b.type)).toEqual(['s3', 'http']);
    // The cache is on: the agents cache there, the API serves /v2/cache, the pruner schedules.
    expect(config.DEFAULT.image_cache_dir).toMatch(/^\//);
    expect(Object.keys(configMap().data ?? {})).toEqual(['glimpse.conf']);
    for (const { owner, pod } of podSpecs(manifests()).filter(({ pod }) =>
      pod.containers.some((c) => APPS.includes(appOf(c))),
    )) {
      for (const container of pod.containers) {
        const configFile = container.env?.find(
          (e) => e.name === 'GLIMPSE_CONFIG_FILE',
        )?.value;
        expect({ owner, configFile }).toEqual({
          owner,
          configFile: '/etc/glimpse/glimpse.conf',
        });
        const mount = container.volumeMounts?.find(
          (m) => m.mountPath === '/etc/glimpse',
        );
        expect({
          owner,
          configMap: pod.volumes?.find((v) => v.name === mount?.name)?.configMap
            ?.name,
        }).toEqual({ owner, configMap: configMap().metadata.name });
      }
    }
  });

  it('mounts the cache directory of image_cache_dir from the node into every cache agent', () => {
    const cacheDir = glimpseConf().get('image_cache_dir')?.value;
    expect(cacheDir).toMatch(/^\//);
    const daemonSet = workloadOf('cache-agent');
    const agent = containerOf('cache-agent');
    expect(agent.volumeMounts?.map((m) => m.mountPath)).toContain(cacheDir);
    const mount = agent.volumeMounts?.find((m) => m.mountPath === cacheDir);
    const volume = podOf(daemonSet).volumes?.find(
      (v) => v.name === mount?.name,
    );
    expect(volume?.hostPath?.path).toMatch(/^\//);
    const env = Object.fromEntries((agent.env ?? []).map((e) => [e.name, e]));
    expect(env.GLIMPSE_CACHE_AGENT_URL.value).toMatch(
      /^http:\/\/(\$\(NODE_IP\)|glimpse-cache-agent\.glimpse\.svc):9296$/,
    );
    expect(env.GLIMPSE_CACHE_NODE_NAME.valueFrom?.fieldRef?.fieldPath).toBe(
      'spec.nodeName',
    );
  });

  it('gives the cache agents a node-local Service', () => {
    const service = one('Service', 'glimpse-cache-agent');
    expect(specOf(service).internalTrafficPolicy).toBe('Local');
    expect(podLabelsOf(workloadOf('cache-agent'))).toMatchObject(
      present(specOf(service).selector, 'the cache agent Service selector'),
    );
    expect(specOf(service).ports?.map((p) => p.targetPort)).toEqual(['http']);
  });

  it('migrates the database in a pre-install and pre-upgrade hook, before the registry runs', () => {
    const job = one('Job', 'glimpse-migrate');
    expect(hookEvents(job).sort()).toEqual(['pre-install', 'pre-upgrade']);
    expect(hookEvents(workloadOf('registry'))).toEqual([]);
    expect(glimpseConf().get('auto_migrate')).toEqual({
      section: 'database',
      value: 'false',
    });
    const pod = podOf(job);
    expect(pod.containers.map((c) => c.args)).toEqual([['migrate']]);
    // Hooks run before the release's own resources exist: the Job may use none of them.
    const releaseResources = new Set(
      manifests()
        .filter((m) => hookEvents(m).length === 0)
        .map((m) => `${m.kind}/${m.metadata.name}`),
    );
    expect(
      pod.volumes?.filter(
        (v) =>
          v.configMap && releaseResources.has(`ConfigMap/${v.configMap.name}`),
      ) ?? [],
    ).toEqual([]);
    expect(
      pod.serviceAccountName === undefined ||
        !releaseResources.has(`ServiceAccount/${pod.serviceAccountName}`),
    ).toBe(true);
    const jobWeight = Number(
      job.metadata.annotations?.['helm.sh/hook-weight'] ?? 0,
    );
    for (const ref of pod.containers
      .flatMap((c) => c.env ?? [])
      .flatMap((e) =>
        e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : [],
      )) {
      expect(releaseResources.has(`Secret/${ref.name}`)).toBe(false);
      const hookSecret = manifests().find(
        (m) => m.kind === 'Secret' && m.metadata.name === ref.name,
      );
      if (hookSecret) {
        expect(hookEvents(hookSecret).sort()).toEqual([
          'pre-install',
          'pre-upgrade',
        ]);
        expect(
          Number(hookSecret.metadata.annotations?.['helm.sh/hook-weight']),
        ).toBeLessThan(jobWeight);
        expect(Object.keys(hookSecret.stringData ?? {})).toContain(ref.key);
      }
    }
    const connection = pod.containers[0].env?.find(
      (e) => e.name === 'GLIMPSE_CONNECTION',
    )?.value;
    expect(connection).toMatch(
      /^mysql:\/\/[^:]+:\$\(DATABASE_PASSWORD\)@[^:/]+:\d+\/\w+$/,
    );
  });

  it('probes every app on /healthcheck at the port it listens on', () => {
    const routes = healthRoutes();
    expect(routes).toContain('/healthcheck');
    const conf = glimpseConf();
    for (const app of APPS) {
      const container = containerOf(app);
      const [section, option] = APP_PORT_OPTION[app];
      const listening = conf.get(option);
      expect(listening?.section).toBe(section);
      for (const probe of [container.livenessProbe, container.readinessProbe]) {
        const { path, port } = probe?.httpGet ?? {
          path: undefined,
          port: undefined,
        };
        const resolved =
          typeof port === 'string'
            ? container.ports?.find((p) => p.name === port)?.containerPort
            : port;
        expect({
          app,
          path: routes.includes(path ?? '')
            ? path
            : `not a health route: ${path}`,
          port: resolved,
        }).toEqual({ app, path, port: Number(listening?.value) });
      }
    }
  });

  it('runs no container as root, each with a read-only root filesystem and /tmp on an emptyDir', () => {
    const pods = podSpecs(manifests());
    expect(pods.length).toBe(APPS.length + 1);
    for (const { owner, pod } of pods) {
      expect({
        owner,
        runAsNonRoot: pod.securityContext?.runAsNonRoot,
      }).toEqual({ owner, runAsNonRoot: true });
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      for (const container of [
        ...(pod.initContainers ?? []),
        ...pod.containers,
      ]) {
        const security = container.securityContext ?? {};
        expect({
          owner,
          container: container.name,
          runAsUser: security.runAsUser ?? pod.securityContext?.runAsUser,
          allowPrivilegeEscalation: security.allowPrivilegeEscalation,
          readOnlyRootFilesystem: security.readOnlyRootFilesystem,
          drop: security.capabilities?.drop,
          add: security.capabilities?.add,
        }).toEqual({
          owner,
          container: container.name,
          runAsUser: expect.any(Number),
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          drop: ['ALL'],
          add: undefined,
        });
        expect(security.runAsUser ?? pod.securityContext?.runAsUser).not.toBe(
          0,
        );
        const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
        expect({
          owner,
          container: container.name,
          tmp:
            pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir !==
            undefined,
        }).toEqual({ owner, container: container.name, tmp: true });
      }
    }
  });

  it('reads every secret from a Secret that holds the key', () => {
    const rendered = new Map(
      manifests()
        .filter((m) => m.kind === 'Secret')
        .map((m) => [m.metadata.name, m]),
    );
    const refs = podSpecs(manifests()).flatMap(({ pod }) =>
      pod.containers
        .flatMap((c) => c.env ?? [])
        .flatMap((e) =>
          e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : [],
        ),
    );
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const secret = rendered.get(ref.name);
      if (valuesName === 'default values')
        expect(Object.keys(secret?.stringData ?? {})).toContain(ref.key);
      else
        expect({ name: ref.name, rendered: secret !== undefined }).toEqual({
          name: 'glimpse-credentials',
          rendered: false,
        });
    }
    expect(dataOf(configMap(), 'glimpse.conf')).not.toMatch(
      /secret_key|connection\s*=/,
    );
  });

  if (valuesName.endsWith('full-values.yaml')) {
    it('scales the api with an HPA and routes an Ingress to it', () => {
      expect(
        specOf(one('HorizontalPodAutoscaler', 'glimpse-api')).scaleTargetRef,
      ).toMatchObject({
        kind: 'Deployment',
        name: workloadOf('api').metadata.name,
      });
      const backends = (
        specOf(one('Ingress', 'glimpse-api')).rules ?? []
      ).flatMap((r) => r.http.paths.map((p) => p.backend.service.name));
      expect(backends).toEqual(['glimpse-api']);
    });
  }
});

describe('the validator', () => {
  it("passes the repository's files: the compose file, and the chart with every values file under both Helms", () => {
    const valuesFiles = readdirSync(join(ROOT, 'deploy/k8s/ci'))
      .filter((f) => f.endsWith('-values.yaml'))
      .map((f) => `deploy/k8s/ci/${f}`);
    expect(report.helm.map((v) => v.split('.')[0])).toEqual(['v4', 'v3']);
    expect(
      report.renders.map((r) => `${r.helm.split('.')[0]} ${r.name}`).sort(),
    ).toEqual(
      ['v3', 'v4']
        .flatMap((h) =>
          ['default values', ...valuesFiles].map((n) => `${h} ${n}`),
        )
        .sort(),
    );
    expect(report.renders.flatMap((r) => r.errors)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('rejects a compose file that breaks the schema or names what does not exist', async () => {
    const file = join(scratch, 'broken-compose.yml');
    writeFileSync(
      file,
      [
        'services:',
        '  api:',
        '    image: glimpse',
        '    depends_on:',
        '      db:',
        '        condition: service_up',
        '    volumes: ["data:/var/lib/glimpse"]',
        '    cap_drop: ALL',
        '',
      ].join('\n'),
    );
    const result = await validator('--compose', file);
    expect(result.ok).toBe(false);
    const errors = result.compose[0].errors.join('\n');
    expect(errors).toContain('/services/api/depends_on/db/condition');
    expect(errors).toContain('/services/api/cap_drop');
    expect(errors).toContain('db is not a service');
    expect(errors).toContain('data is not a declared volume');
  });

  it('rejects manifests that break the Kubernetes schemas or are no Kubernetes API', async () => {
    const file = join(scratch, 'broken.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: { name: broken }',
        'spec:',
        '  replicas: two',
        '  selector: { matchLabels: { a: b } }',
        '  template:',
        '    metadata: { labels: { a: b } }',
        '    spec: { containers: [{ name: c, image: x, livenessProbe: { httpGet: { path: /healthcheck } } }] }',
        '---',
        'apiVersion: policy/v1beta1',
        'kind: PodDisruptionBudget',
        'metadata: { name: gone }',
        'spec: { minAvailable: 1 }',
        '---',
        'apiVersion: glimpse.example.com/v1',
        'kind: ImageCache',
        'metadata: { name: custom }',
        '',
      ].join('\n'),
    );
    const result = await validator('--manifests', file);
    expect(result.ok).toBe(false);
    const errors = result.manifests[0].errors.join('\n');
    expect(errors).toContain(
      'Deployment/broken: data/spec/replicas must be integer',
    );
    expect(errors).toContain(
      'livenessProbe/httpGet must have required property port',
    );
    expect(errors).toContain(
      'PodDisruptionBudget/gone: policy/v1beta1 PodDisruptionBudget is not a GA API of Kubernetes',
    );
    expect(errors).toContain(
      'ImageCache/custom: glimpse.example.com/v1 ImageCache is not a Kubernetes 1.36.0 API',
    );
  });
});

describe('the container image', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages[stages.length - 1];

  it('builds in one stage and runs from a slim one as a non-root user, with a health check', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toMatch(/npm ci/);
    expect(stages[0]).toMatch(/nx run-many -t build/);
    expect(runtime).toMatch(/-slim AS runtime/);
    expect(runtime).not.toMatch(/npm (ci|install)/);
    expect(runtime).toMatch(/^COPY --from=build \/src\/dist\/apps /m);
    const user = /^USER (\S+)/m.exec(runtime)?.[1] ?? 'root';
    const uid = /^ARG GLIMPSE_UID=(\d+)/m.exec(runtime)?.[1];
    expect(user).toBe('${GLIMPSE_UID}:${GLIMPSE_UID}');
    expect(Number(uid)).toBeGreaterThan(0);
    expect(runtime).toMatch(/^HEALTHCHECK .*deploy\/docker\/healthcheck\.js/m);
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split(
      '\n',
    );
    expect(ignored).toEqual(
      expect.arrayContaining(['node_modules', '.git', 'dist', 'data']),
    );
  });

  it('needs at run time only the production dependencies that the runtime stage keeps', () => {
    expect(runtime).toMatch(/^COPY --from=build \/src\/node_modules /m);
    expect(stages[0]).toMatch(/npm prune --omit=dev/);
    const { dependencies } = JSON.parse(
      readFileSync(join(ROOT, 'package.json'), 'utf8'),
    ) as { dependencies: Record<string, string> };
    const required = new Set<string>();
    for (const app of readdirSync(join(ROOT, 'dist/apps'))) {
      for (const file of readdirSync(join(ROOT, 'dist/apps', app)).filter((f) =>
        f.endsWith('.js'),
      )) {
        for (const [, name] of readFileSync(
          join(ROOT, 'dist/apps', app, file),
          'utf8',
        ).matchAll(/require\("([^".][^"]*)"\)/g)) {
          const root = name.startsWith('@')
            ? name.split('/').slice(0, 2).join('/')
            : name.split('/')[0];
          if (!name.startsWith('node:') && !builtinModules.includes(root))
            required.add(root);
        }
      }
    }
    expect(required.size).toBeGreaterThan(5);
    expect([...required].filter((name) => !(name in dependencies))).toEqual([]);
  });

  it('lays its defaults under the configuration given, as a file, not as GLIMPSE_* variables that override it', () => {
    const instructions = runtime.replace(/\\\n/g, ' ').split('\n');
    const env = instructions
      .filter((line) => line.startsWith('ENV '))
      .join(' ');
    expect([...env.matchAll(/\bGLIMPSE_[A-Z_]+=/g)].map((m) => m[0])).toEqual([
      'GLIMPSE_APP=',
    ]);
    expect(runtime).toMatch(
      /^COPY .*deploy\/docker\/container\.conf \.\/deploy\/docker\/$/m,
    );
    const script = readFileSync(
      join(ROOT, 'deploy/docker/entrypoint.sh'),
      'utf8',
    );
    expect(script).toContain('defaults=/app/deploy/docker/container.conf');
    const defaults = loadConfig({
      argv: ['--config-file', CONTAINER_CONF],
      env: {},
    });
    expect({
      bind_host: defaults.DEFAULT.bind_host,
      data_dir: defaults.DEFAULT.data_dir,
    }).toEqual({ bind_host: '0.0.0.0', data_dir: '/var/lib/glimpse' });
    const given = join(scratch, 'given.conf');
    writeFileSync(given, '[DEFAULT]\ndata_dir = /srv/glimpse\n');
    expect(
      loadConfig({
        argv: [],
        env: { GLIMPSE_CONFIG_FILE: `${CONTAINER_CONF},${given}` },
      }).DEFAULT.data_dir,
    ).toBe('/srv/glimpse');
  });

  it('starts each app from its build, and checks health on the port Glimpse defaults to', () => {
    const entrypoint = join(ROOT, 'deploy/docker/entrypoint.sh');
    accessSync(entrypoint, constants.X_OK);
    const script = readFileSync(entrypoint, 'utf8');
    expect(script).toContain('main="dist/apps/$app/main.js"');
    expect(script).toContain('main="dist/apps/registry/migrate.js"');
    for (const app of APPS) accessSync(join(ROOT, 'dist/apps', app, 'main.js'));
    accessSync(join(ROOT, 'dist/apps/registry/migrate.js'));
    const healthcheck = readFileSync(
      join(ROOT, 'deploy/docker/healthcheck.js'),
      'utf8',
    );
    for (const app of APPS) {
      expect(healthcheck).toContain(
        `'${app}': ['${envName(APP_PORT_OPTION[app][1])}', ${defaultOf(app)}]`.replace(
          /^'(\w+)'/,
          '$1',
        ),
      );
    }
  });
});
