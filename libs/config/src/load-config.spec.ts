import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './load-config';

let dir: string;
let fileCount = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'glimpse-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ini(...lines: string[]): string {
  const file = join(dir, `glimpse-${++fileCount}.conf`);
  writeFileSync(file, lines.join('\n'));
  return file;
}

function files(...paths: string[]): string[] {
  return paths.flatMap((path) => ['--config-file', path]);
}

function problemsOf(run: () => unknown): { problems: string[]; message: string } {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { problems: error.problems, message: error.message };
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the declared defaults, with $data_dir substituted', () => {
    const config = loadConfig({ argv: [], env: {} });
    expect(config.DEFAULT.bind_port).toBe(9292);
    expect(config.DEFAULT.auth_strategy).toBe('noauth');
    expect(config.DEFAULT.public_endpoint).toBeNull();
    expect(config.glance_store.filesystem_store_datadir).toBe('./data/images');
    expect(config.database.connection).toBe('sqlite:///./data/glimpse.sqlite');
    expect(config.image_format.container_formats).toEqual(['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed']);
  });

  it('parses each type from a file', () => {
    const file = ini(
      '[DEFAULT]', 'bind_port = 9393', 'debug = Yes', 'auth_strategy = trusted', 'public_endpoint = https://img.example',
      '[image_format]', 'disk_formats = raw, qcow2,', '  iso',
    );
    const config = loadConfig({ argv: files(file), env: {} });
    expect(config.DEFAULT).toMatchObject({ bind_port: 9393, debug: true, auth_strategy: 'trusted', public_endpoint: 'https://img.example' });
    expect(config.image_format.disk_formats).toEqual(['raw', 'qcow2', 'iso']);
  });

  it('lets a later file win over an earlier one, and the environment over both', () => {
    const first = ini('[DEFAULT]', 'bind_port = 9001', 'bind_host = 10.0.0.1', 'api_limit_max = 50');
    const second = ini('[DEFAULT]', 'bind_port = 9002', 'bind_host = 10.0.0.2');
    const config = loadConfig({ argv: [`--config-file=${first}`, '--config-file', second], env: { GLIMPSE_BIND_PORT: '9003' } });
    expect([config.DEFAULT.bind_port, config.DEFAULT.bind_host, config.DEFAULT.api_limit_max]).toEqual([9003, '10.0.0.2', 50]);
  });

  it('reads GLIMPSE_CONFIG_FILE (comma-separated) only when no --config-file is given', () => {
    const a = ini('[DEFAULT]', 'bind_port = 1111');
    const b = ini('[DEFAULT]', 'bind_port = 2222');
    const c = ini('[DEFAULT]', 'bind_port = 3333');
    expect(loadConfig({ argv: [], env: { GLIMPSE_CONFIG_FILE: `${a},${b}` } }).DEFAULT.bind_port).toBe(2222);
    expect(loadConfig({ argv: files(c), env: { GLIMPSE_CONFIG_FILE: `${a},${b}` } }).DEFAULT.bind_port).toBe(3333);
  });

  it.each([
    ['$data_dir', '/srv/glimpse', '/srv/glimpse/images'],
    ['${data_dir}', '/srv/glimpse', '/srv/glimpse/images'],
  ])('substitutes %s from wherever data_dir came from', (ref, dataDir, expected) => {
    const file = ini('[glance_store]', `filesystem_store_datadir = ${ref}/images`);
    const config = loadConfig({ argv: files(file), env: { GLIMPSE_DATA_DIR: dataDir } });
    expect(config.glance_store.filesystem_store_datadir).toBe(expected);
    expect(config.database.connection).toBe(`sqlite:///${dataDir}/glimpse.sqlite`);
  });

  it('uses the defaults argument below files and the environment, and substitutes into it', () => {
    const sources = { argv: [], env: {} };
    expect(loadConfig(sources, { transport: 'nats', data_dir: '/d' }).DEFAULT.transport).toBe('nats');
    expect(loadConfig(sources, { data_dir: '/d' }).glance_store.filesystem_store_datadir).toBe('/d/images');
    const file = ini('[DEFAULT]', 'transport = in-process');
    expect(loadConfig({ argv: files(file), env: {} }, { transport: 'nats' }).DEFAULT.transport).toBe('in-process');
    expect(loadConfig({ argv: [], env: { GLIMPSE_TRANSPORT: 'in-process' } }, { transport: 'nats' }).DEFAULT.transport).toBe('in-process');
  });

  it('names a bad value given through the defaults argument', () => {
    const { problems } = problemsOf(() => loadConfig({ argv: [], env: {} }, { bind_port: 'x' }));
    expect(problems).toEqual(['[DEFAULT] bind_port (default)=x: "x" is not an integer']);
  });

  it('returns a frozen configuration', () => {
    const config = loadConfig({ argv: [], env: {} });
    expect([Object.isFrozen(config), Object.isFrozen(config.DEFAULT)]).toEqual([true, true]);
  });

  it('reports every problem at once, each with its option and source', () => {
    const file = ini(
      '[DEFAULT]',
      'bind_port = abc',
      'debug = maybe',
      'no_such_thing = 1',
      '[glance_store]',
      'default_store = cinder',
      'nonsense line',
      '[database]',
      'max_pool_size = 0',
    );
    const { problems, message } = problemsOf(() =>
      loadConfig({ argv: files(file), env: { GLIMPSE_AUTH_STRATEGY: 'kerberos', GLIMPSE_NOPE: 'x', OTHER_VAR: 'ignored' } }),
    );
    expect(problems).toEqual([
      `${file}:7: cannot parse "nonsense line"`,
      `${file}:4: unknown option [DEFAULT] no_such_thing`,
      'environment variable GLIMPSE_NOPE: unknown option',
      `[DEFAULT] bind_port (from ${file}:2)=abc: "abc" is not an integer`,
      '[DEFAULT] auth_strategy (from environment variable GLIMPSE_AUTH_STRATEGY)=kerberos: "kerberos" is not one of noauth, trusted, keystone',
      `[DEFAULT] debug (from ${file}:3)=maybe: "maybe" is not a boolean (true or false)`,
      `[database] max_pool_size (from ${file}:9)=0: 0 is below the minimum 1`,
      `[glance_store] default_store (from ${file}:6)=cinder: "cinder" is not one of file, s3, swift`,
    ]);
    expect(message).toBe(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  });

  it.each([
    ['an option in the wrong section', ['[database]', 'bind_port = 1'], ':2: unknown option [database] bind_port'],
    ['a port above 65535', ['[DEFAULT]', 'bind_port = 70000'], ':2)=70000: 70000 is above the maximum 65535'],
    ['a non-integer size cap', ['[DEFAULT]', 'image_size_cap = 1.5'], ':2)=1.5: "1.5" is not an integer'],
    ['an unknown reference', ['[DEFAULT]', 'data_dir = $nowhere/x'], ':2): cannot substitute $nowhere'],
    ['a reference cycle', ['[DEFAULT]', 'data_dir = $bind_host', 'bind_host = $data_dir'], ':2): cannot substitute $bind_host'],
  ])('rejects %s', (_what, lines, expected) => {
    const file = ini(...lines);
    const { problems } = problemsOf(() => loadConfig({ argv: files(file), env: {} }));
    expect(problems).toContainEqual(expect.stringContaining(`${file}${expected}`));
  });

  it('reports a missing config file together with other problems', () => {
    const missing = join(dir, 'absent.conf');
    const { problems } = problemsOf(() => loadConfig({ argv: files(missing), env: { GLIMPSE_BIND_PORT: '-1' } }));
    expect(problems).toEqual([
      `config file ${missing}: not found`,
      '[DEFAULT] bind_port (from environment variable GLIMPSE_BIND_PORT)=-1: -1 is below the minimum 0',
    ]);
  });

  describe('stores', () => {
    it('enables file and http from [glance_store] in single-store mode', () => {
      const config = loadConfig({ argv: [], env: {} });
      expect(config.multiStore).toBe(false);
      expect(config.backends.map((b) => [b.id, b.type])).toEqual([['file', 'file'], ['http', 'http']]);
      expect(config.backends[0].options.filesystem_store_datadir).toBe('./data/images');
    });

    it('reads each backend of enabled_backends from its own section, with the defaults of a store', () => {
      const file = ini(
        '[DEFAULT]', 'enabled_backends = fast:file, cold:s3, web:http', 'data_dir = /srv/g',
        '[glance_store]', 'default_backend = fast',
        '[fast]', 'filesystem_store_datadir = $data_dir/fast', 'store_description = Local disk', 'weight = 100',
        '[cold]', 's3_store_host = http://127.0.0.1:18080', 's3_store_bucket = images', 's3_store_secret_key = hush',
      );
      const config = loadConfig({ argv: files(file), env: {} });
      expect(config.multiStore).toBe(true);
      expect(config.backends.map((b) => [b.id, b.type])).toEqual([['fast', 'file'], ['cold', 's3'], ['web', 'http']]);
      const [fast, cold] = config.backends;
      expect([fast.options.filesystem_store_datadir, fast.options.store_description, fast.options.weight]).toEqual(['/srv/g/fast', 'Local disk', 100]);
      expect([cold.options.s3_store_bucket, cold.options.s3_store_secret_key, cold.options.s3_store_large_object_size, cold.options.weight]).toEqual(['images', 'hush', 100, 0]);
    });

    it('names every mistake in a multi-store configuration', () => {
      const file = ini(
        '[DEFAULT]', 'enabled_backends = a:file, b:cinder, os_glance_staging_store:file, a:s3, nocolon',
        '[a]', 'weight = heavy', 'bind_port = 1',
        '[stray]', 'weight = 1',
      );
      const { problems } = problemsOf(() => loadConfig({ argv: files(file), env: {} }));
      expect(problems).toEqual([
        `${file}:5: unknown option [a] bind_port`,
        `[a] weight (from ${file}:4)=heavy: "heavy" is not an integer`,
        '[DEFAULT] enabled_backends: store type "cinder" of b is not one of file, s3, swift, http',
        "[DEFAULT] enabled_backends: store id os_glance_staging_store is reserved (ids starting os_glance_ are Glance's own)",
        '[DEFAULT] enabled_backends: store id a appears twice',
        '[DEFAULT] enabled_backends: "nocolon" is not id:type',
        `${file}:7: unknown option [stray] weight ([stray] is not in enabled_backends)`,
        '[glance_store] default_backend=(unset): must name one of enabled_backends (a)',
      ]);
    });

    it('refuses a read-only default backend and a default_store that is not enabled', () => {
      const multi = ini('[DEFAULT]', 'enabled_backends = web:http', '[glance_store]', 'default_backend = web');
      expect(problemsOf(() => loadConfig({ argv: files(multi), env: {} })).problems).toEqual(['[glance_store] default_backend=web: an http store is read-only']);
      const single = ini('[glance_store]', 'stores = file', 'default_store = swift');
      expect(problemsOf(() => loadConfig({ argv: files(single), env: {} })).problems).toEqual(['[glance_store] default_store=swift: not among stores (file)']);
    });

    it('keeps unknown sections an error in single-store mode', () => {
      const file = ini('[fast]', 'weight = 1');
      expect(problemsOf(() => loadConfig({ argv: files(file), env: {} })).problems).toEqual([`${file}:2: unknown option [fast] weight`]);
    });
  });
});
