import { existsSync, readFileSync } from 'node:fs';
import { parseIni } from './ini';
import { OPTIONS, STORE_OPTIONS, type BackendConfig, type GlimpseConfig, type SectionName, type StoreOptionValues } from './options';
import type { OptionSpec } from './option';

export const ENV_PREFIX = 'GLIMPSE_';
const CONFIG_FILE_ENV = 'GLIMPSE_CONFIG_FILE';

export interface ConfigSources {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
}

/** All problems found while loading, reported at once so an operator fixes them in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

interface Declared {
  section: SectionName;
  name: string;
  spec: OptionSpec<unknown>;
}

interface RawValue {
  value: string;
  source: string;
}

export function declaredOptions(): Declared[] {
  return (Object.keys(OPTIONS) as SectionName[]).flatMap((section) =>
    Object.entries(OPTIONS[section]).map(([name, spec]) => ({
      section,
      name,
      spec: spec as OptionSpec<unknown>,
    })),
  );
}

export function envName(optionName: string): string {
  return `${ENV_PREFIX}${optionName.toUpperCase()}`;
}

/** The --config-file arguments (repeatable), else GLIMPSE_CONFIG_FILE (comma-separated). */
export function configFiles(sources: ConfigSources): string[] {
  const files: string[] = [];
  sources.argv.forEach((arg, i) => {
    if (arg === '--config-file' && sources.argv[i + 1]) files.push(sources.argv[i + 1]);
    else if (arg.startsWith('--config-file=')) files.push(arg.slice('--config-file='.length));
  });
  if (files.length > 0) return files;
  const fromEnv = sources.env[CONFIG_FILE_ENV];
  return fromEnv ? fromEnv.split(',').filter(Boolean) : [];
}

/**
 * The one place that reads configuration: ini files in Glance's layout, then GLIMPSE_* variables.
 * Later sources win. Throws ConfigError naming each bad option and where it came from.
 */
export function loadConfig(
  sources: ConfigSources = processSources(),
  defaults: Readonly<Record<string, string>> = {},
): GlimpseConfig {
  const declared = declaredOptions();
  const byKey = new Map(declared.map((d) => [`${d.section}.${d.name}`, d]));
  const byName = new Map(declared.map((d) => [d.name, d]));
  const problems: string[] = [];
  const raw = new Map<string, RawValue>();
  /** Entries of sections that are not declared: backend sections once enabled_backends is known. */
  const sectionEntries = new Map<string, { key: string; raw: RawValue }[]>();

  for (const file of configFiles(sources)) {
    if (!existsSync(file)) {
      problems.push(`config file ${file}: not found`);
      continue;
    }
    const { entries, errors } = parseIni(readFileSync(file, 'utf8'));
    errors.forEach((e) => problems.push(`${file}:${e.line}: ${e.message}`));
    for (const entry of entries) {
      const option = byKey.get(`${entry.section}.${entry.key}`);
      if (!option && !(entry.section in OPTIONS)) {
        const list = sectionEntries.get(entry.section) ?? [];
        list.push({ key: entry.key, raw: { value: entry.value, source: `${file}:${entry.line}` } });
        sectionEntries.set(entry.section, list);
        continue;
      }
      if (!option) {
        problems.push(`${file}:${entry.line}: unknown option [${entry.section}] ${entry.key}`);
        continue;
      }
      raw.set(option.name, { value: entry.value, source: `${file}:${entry.line}` });
    }
  }

  for (const [key, value] of Object.entries(sources.env)) {
    if (!key.startsWith(ENV_PREFIX) || key === CONFIG_FILE_ENV || value === undefined) continue;
    const option = byName.get(key.slice(ENV_PREFIX.length).toLowerCase());
    if (!option) {
      problems.push(`environment variable ${key}: unknown option`);
      continue;
    }
    raw.set(option.name, { value, source: `environment variable ${key}` });
  }

  const substitute = (text: string, seen: string[], where: string): string =>
    text.replace(/\$(\w+)|\$\{(\w+)\}/g, (match, a: string, b: string) => {
      const ref = a ?? b;
      if (!byName.has(ref) || seen.includes(ref)) {
        problems.push(`${where}: cannot substitute ${match}`);
        return match;
      }
      return resolve(ref, [...seen, ref]);
    });
  const resolve = (name: string, seen: string[]): string => {
    const option = byName.get(name)!;
    const given = raw.get(name);
    const text = given ? given.value : (defaults[name] ?? defaultText(option.spec));
    return substitute(text, seen, describe(option, given));
  };

  const config: Record<string, Record<string, unknown>> = {};
  for (const option of declared) {
    const given = raw.get(option.name);
    config[option.section] ??= {};
    if (!given && defaults[option.name] === undefined && typeof option.spec.default !== 'string') {
      config[option.section][option.name] = option.spec.default;
      continue;
    }
    try {
      config[option.section][option.name] = option.spec.parse(resolve(option.name, [option.name]));
    } catch (error) {
      const value = option.spec.secret ? '<secret>' : (given?.value ?? defaults[option.name]);
      problems.push(`${describe(option, given)}=${value}: ${(error as Error).message}`);
    }
  }

  const stores = problems.length > 0 ? null : storesOf(config as unknown as GlimpseConfig, sectionEntries, substitute, problems);
  if (problems.length > 0 || !stores) throw new ConfigError(problems);
  for (const section of Object.values(config)) Object.freeze(section);
  return Object.freeze({ ...config, ...stores }) as GlimpseConfig;
}

const STORE_TYPES = ['file', 's3', 'swift', 'http'];
const RESERVED_STORE_PREFIX = 'os_glance_';

type Substitute = (text: string, seen: string[], where: string) => string;

/**
 * The enabled stores. With enabled_backends (Glance's multi-store) each id:type pair reads its
 * own [id] section; otherwise [glance_store] stores lists types that share [glance_store]'s options.
 */
function storesOf(
  config: GlimpseConfig,
  sections: Map<string, { key: string; raw: RawValue }[]>,
  substitute: Substitute,
  problems: string[],
): Pick<GlimpseConfig, 'multiStore' | 'backends'> {
  const enabled = config.DEFAULT.enabled_backends;
  if (enabled.length === 0) {
    for (const [section, entries] of sections) {
      for (const entry of entries) problems.push(`${entry.raw.source}: unknown option [${section}] ${entry.key}`);
    }
    return { multiStore: false, backends: singleStoreBackends(config, problems) };
  }
  const backends: BackendConfig[] = [];
  for (const pair of enabled) {
    const [id, type, ...rest] = pair.split(':').map((part) => part.trim());
    if (!id || !type || rest.length > 0) problems.push(`[DEFAULT] enabled_backends: "${pair}" is not id:type`);
    else if (!STORE_TYPES.includes(type)) problems.push(`[DEFAULT] enabled_backends: store type "${type}" of ${id} is not one of ${STORE_TYPES.join(', ')}`);
    else if (id.startsWith(RESERVED_STORE_PREFIX)) problems.push(`[DEFAULT] enabled_backends: store id ${id} is reserved (ids starting ${RESERVED_STORE_PREFIX} are Glance's own)`);
    else if (backends.some((b) => b.id === id)) problems.push(`[DEFAULT] enabled_backends: store id ${id} appears twice`);
    else backends.push({ id, type, options: backendOptions(id, sections.get(id) ?? [], substitute, problems) });
  }
  for (const [section, entries] of sections) {
    if (backends.some((b) => b.id === section)) continue;
    for (const entry of entries) problems.push(`${entry.raw.source}: unknown option [${section}] ${entry.key} ([${section}] is not in enabled_backends)`);
  }
  const chosen = config.glance_store.default_backend;
  if (backends.length > 0 && (!chosen || !backends.some((b) => b.id === chosen))) {
    problems.push(`[glance_store] default_backend=${chosen ?? '(unset)'}: must name one of enabled_backends (${backends.map((b) => b.id).join(', ')})`);
  } else if (backends.find((b) => b.id === chosen)?.type === 'http') {
    problems.push(`[glance_store] default_backend=${chosen}: an http store is read-only`);
  }
  return { multiStore: true, backends };
}

function singleStoreBackends(config: GlimpseConfig, problems: string[]): BackendConfig[] {
  const store = config.glance_store;
  const options = Object.fromEntries(Object.keys(STORE_OPTIONS).map((name) => [name, store[name as keyof StoreOptionValues]])) as unknown as StoreOptionValues;
  const types = [...new Set(store.stores)];
  for (const type of types) {
    if (!STORE_TYPES.includes(type)) problems.push(`[glance_store] stores: "${type}" is not one of ${STORE_TYPES.join(', ')}`);
  }
  if (!types.includes(store.default_store)) problems.push(`[glance_store] default_store=${store.default_store}: not among stores (${types.join(', ')})`);
  return types.filter((type) => STORE_TYPES.includes(type)).map((type) => ({ id: type, type, options }));
}

function backendOptions(id: string, entries: { key: string; raw: RawValue }[], substitute: Substitute, problems: string[]): StoreOptionValues {
  const values: Record<string, unknown> = {};
  for (const entry of entries) {
    if (!(entry.key in STORE_OPTIONS)) problems.push(`${entry.raw.source}: unknown option [${id}] ${entry.key}`);
  }
  for (const [name, declared] of Object.entries(STORE_OPTIONS)) {
    const spec = declared as OptionSpec<unknown>;
    const given = [...entries].reverse().find((entry) => entry.key === name)?.raw;
    const where = `[${id}] ${name}${given ? ` (from ${given.source})` : ' (default)'}`;
    if (!given && typeof spec.default !== 'string') {
      values[name] = spec.default;
      continue;
    }
    try {
      values[name] = spec.parse(substitute(given ? given.value : defaultText(spec), [name], where));
    } catch (error) {
      problems.push(`${where}=${spec.secret ? '<secret>' : given?.value}: ${(error as Error).message}`);
    }
  }
  return Object.freeze(values) as unknown as StoreOptionValues;
}

/** This process's command line and environment. */
export function processSources(): ConfigSources {
  return { argv: process.argv.slice(2), env: process.env };
}

function defaultText(spec: OptionSpec<unknown>): string {
  const value = spec.default;
  if (value === null) return '';
  return Array.isArray(value) ? value.join(',') : String(value);
}

function describe(option: Declared, given: RawValue | undefined): string {
  const where = given ? ` (from ${given.source})` : ' (default)';
  return `[${option.section}] ${option.name}${where}`;
}
