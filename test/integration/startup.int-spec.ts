import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

function run(script: string, args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', OTEL_SDK_DISABLED: 'true', ...env },
    encoding: 'utf8',
    timeout: 20000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('start-up validation of the configuration', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'glimpse-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['bin/glimpse.js', 'dist/apps/api/main.js', 'dist/apps/registry/main.js'])(
    '%s stops with one message naming every bad option and its source',
    (script) => {
      const file = join(dir, 'glimpse-api.conf');
      writeFileSync(file, '[DEFAULT]\nbind_port = 9292\nworkers = 4\n\n[database]\nauto_migrate = maybe\n');
      const { status, stderr } = run(script, ['--config-file', file], {
        GLIMPSE_AUTH_STRATEGY: 'keystone-ish',
        GLIMPSE_NO_SUCH_OPTION: '1',
        GLIMPSE_DATA_DIR: dir,
      });
      expect(status).toBe(2);
      expect(stderr).toContain(`${file}:3: unknown option [DEFAULT] workers`);
      expect(stderr).toContain(`[database] auto_migrate (from ${file}:6)=maybe`);
      expect(stderr).toContain('[DEFAULT] auth_strategy (from environment variable GLIMPSE_AUTH_STRATEGY)=keystone-ish');
      expect(stderr).toContain('environment variable GLIMPSE_NO_SUCH_OPTION: unknown option');
    },
  );

  it('names a missing config file', () => {
    const { status, stderr } = run('bin/glimpse.js', ['--config-file', join(dir, 'absent.conf')], { GLIMPSE_DATA_DIR: dir });
    expect(status).toBe(2);
    expect(stderr).toContain(`config file ${join(dir, 'absent.conf')}: not found`);
  });

  it('refuses a standalone app on the in-process transport', () => {
    const { status, stderr } = run('dist/apps/api/main.js', [], { GLIMPSE_TRANSPORT: 'in-process', GLIMPSE_DATA_DIR: dir });
    expect(status).toBe(2);
    expect(stderr).toContain('transport = in-process needs every app in one process');
  });

  it('names the store directory when it is not writable', () => {
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const { status, stderr } = run('bin/glimpse.js', [], {
      GLIMPSE_DATA_DIR: dir,
      GLIMPSE_BIND_PORT: '0',
      GLIMPSE_FILESYSTEM_STORE_DATADIR: join(blocker, 'images'),
    });
    expect(status).toBe(1);
    expect(stderr).toContain(`filesystem_store_datadir=${join(blocker, 'images')} is not writable`);
  });
});
