import { execFile } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Mode, type RunningGlimpse, freePort, startGlimpse } from './glimpse';

const run = promisify(execFile);

/** What a black-box suite runs against: a Glimpse (embedded or cluster) or the real Glance 25 peer. */
export type TargetKind = Mode | 'glance';

/** The settings the suites need, named once and translated to each implementation's configuration. */
export interface TargetOptions {
  imageSizeCap?: number;
  imageMemberQuota?: number;
  imageTagQuota?: number;
  imagePropertyQuota?: number;
  /** In Glance's notation, e.g. `10KB`. */
  userStorageQuota?: string;
}

export interface Target {
  kind: TargetKind;
  url: string;
  /** The file names in the filesystem store (Glimpse's and Glance's file store both keep one file per image id). */
  storeFiles?: () => string[];
  /** Glimpse only: the process output. */
  glimpse?: RunningGlimpse;
  stop(): Promise<void>;
}

/** The peer's scripts and templates (read-only: copied, never edited). */
export const GLANCE_PEER_SRC = process.env['GLANCE_PEER_SRC'] ?? join(__dirname, '../../../shared/peers/glance');

export async function startTarget(kind: TargetKind, options: TargetOptions = {}): Promise<Target> {
  if (kind === 'glance') return startGlance(options);
  const env: Record<string, string> = { GLIMPSE_AUTH_STRATEGY: 'trusted' };
  if (options.imageSizeCap !== undefined) env['GLIMPSE_IMAGE_SIZE_CAP'] = String(options.imageSizeCap);
  if (options.imageMemberQuota !== undefined) env['GLIMPSE_IMAGE_MEMBER_QUOTA'] = String(options.imageMemberQuota);
  if (options.imageTagQuota !== undefined) env['GLIMPSE_IMAGE_TAG_QUOTA'] = String(options.imageTagQuota);
  if (options.imagePropertyQuota !== undefined) env['GLIMPSE_IMAGE_PROPERTY_QUOTA'] = String(options.imagePropertyQuota);
  if (options.userStorageQuota !== undefined) env['GLIMPSE_USER_STORAGE_QUOTA'] = options.userStorageQuota;
  const glimpse = await startGlimpse(kind, env);
  return {
    kind,
    url: glimpse.url,
    glimpse,
    storeFiles: () => readdirSync(join(glimpse.dataDir, 'images')),
    stop: () => glimpse.stop(),
  };
}

/**
 * The real Glance 25 in trusted mode: a private copy of shared/peers/glance whose glance-api.conf.in
 * gets the suites' quotas and the new policy defaults, with its own runtime dir and port.
 */
async function startGlance(options: TargetOptions): Promise<Target> {
  const scripts = mkdtempSync(join(tmpdir(), 'glance-peer-src-'));
  const runDir = mkdtempSync(join(tmpdir(), 'glance-peer-run-'));
  cpSync(GLANCE_PEER_SRC, scripts, { recursive: true });
  for (const f of readdirSync(scripts)) chmodSync(join(scripts, f), f.endsWith('.sh') ? 0o755 : 0o644);
  const port = await freePort();
  const defaults: string[] = [];
  if (options.imageSizeCap !== undefined) defaults.push(`image_size_cap = ${options.imageSizeCap}`);
  if (options.imageMemberQuota !== undefined) defaults.push(`image_member_quota = ${options.imageMemberQuota}`);
  if (options.imageTagQuota !== undefined) defaults.push(`image_tag_quota = ${options.imageTagQuota}`);
  if (options.imagePropertyQuota !== undefined) defaults.push(`image_property_quota = ${options.imagePropertyQuota}`);
  if (options.userStorageQuota !== undefined) defaults.push(`user_storage_quota = ${options.userStorageQuota}`);
  // oslo.config takes the last value of a repeated option, so appending overrides the template.
  // enforce_new_defaults: the project-scoped defaults Glimpse uses (docs/compatibility.md, policy
  // defaults); Glance 25 refuses to start unless [DEFAULT] enforce_secure_rbac matches it.
  // enforce_scope stays false: trusted headers carry no system scope.
  appendFileSync(
    join(scripts, 'glance-api.conf.in'),
    `\n# appended by test/support/target.ts\n[DEFAULT]\nenforce_secure_rbac = true\n${defaults.join('\n')}\n\n[oslo_policy]\nenforce_new_defaults = true\n`,
  );
  const env = {
    ...process.env,
    GLANCE_PEER_DIR: runDir,
    GLANCE_PORT: String(port),
    GLANCE_AUTH_MODE: 'trusted',
    GLANCE_WORKERS: '0',
    GLANCE_LOAD_METADEFS: '0',
  };
  const stop = async () => {
    await run('bash', [join(scripts, 'stop.sh')], { env }).catch(() => undefined);
    rmSync(runDir, { recursive: true, force: true });
    rmSync(scripts, { recursive: true, force: true });
  };
  try {
    await run('bash', [join(scripts, 'setup.sh')], { env, timeout: 300000 });
    await run('bash', [join(scripts, 'start.sh')], { env, timeout: 60000 });
  } catch (err) {
    let log = '';
    try {
      log = readFileSync(join(runDir, 'log/glance-api.log'), 'utf8').slice(-4000);
    } catch {
      // no log yet
    }
    await stop();
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`the Glance peer did not start: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}\n${log}`);
  }
  return {
    kind: 'glance',
    url: `http://127.0.0.1:${port}`,
    // Glance's file store keeps one file per image id too, under the run dir.
    storeFiles: () => readdirSync(join(runDir, 'images')),
    stop,
  };
}
