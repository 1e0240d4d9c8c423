import { existsSync, readFileSync } from 'node:fs';
import { parseIni } from './ini';
import { OPTIONS, type GlimpseConfig, type SectionName } from './options';
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

  for (const file of configFiles(sources)) {
    if (!existsSync(file)) {
      problems.push(`config file ${file}: not found`);
      continue;
    }
    const { entries, errors } = parseIni(readFileSync(file, 'utf8'));
    errors.forEach((e) => problems.push(`${file}:${e.line}: ${e.message}`));
    for (const entry of entries) {
      const option = byKey.get(`${entry.section}.${entry.key}`);
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

  const resolve = (name: string, seen: string[]): string => {
    const option = byName.get(name)!;
    const given = raw.get(name);
    const text = given ? given.value : (defaults[name] ?? defaultText(option.spec));
    return text.replace(/\$(\w+)|\$\{(\w+)\}/g, (match, a: string, b: string) => {
      const ref = a ?? b;
      if (!byName.has(ref) || seen.includes(ref)) {
        problems.push(`${describe(option, given)}: cannot substitute ${match}`);
        return match;
      }
      return resolve(ref, [...seen, ref]);
    });
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

  if (problems.length > 0) throw new ConfigError(problems);
  for (const section of Object.values(config)) Object.freeze(section);
  return Object.freeze(config) as GlimpseConfig;
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
