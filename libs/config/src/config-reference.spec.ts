import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configReference } from './config-reference';
import { OPTIONS } from './options';

describe('option declarations', () => {
  it('never repeat an option name across sections, so GLIMPSE_<NAME> is unambiguous', () => {
    const names = Object.values(OPTIONS).flatMap((section) => Object.keys(section));
    const repeated = names.filter((name, i) => names.indexOf(name) !== i);
    expect(repeated).toEqual([]);
  });
});

describe('configReference', () => {
  const reference = configReference();

  it('is what docs/configuration.md says', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/configuration.md'), 'utf8');
    const verdict = doc === reference ? 'up to date' : 'docs/configuration.md is stale: run `npm run docs:config`';
    expect(verdict).toBe('up to date');
  });

  it('lists every option once, in one unbroken table per section', () => {
    const sections = reference.split(/^## /m).slice(1);
    expect(sections.map((s) => s.slice(0, s.indexOf('\n')))).toEqual(Object.keys(OPTIONS).map((name) => `[${name}]`));
    sections.forEach((text, i) => {
      const rows = text.split('\n').slice(2);
      const table = rows.slice(0, rows.indexOf(''));
      const names = Object.keys(Object.values(OPTIONS)[i]);
      expect(table).toHaveLength(names.length + 2);
      expect(table.slice(2).map((row) => row.split(' | ')[0])).toEqual(names.map((n) => `| \`${n}\``));
    });
    expect(reference).not.toMatch(/\|\n\n\|/);
    expect(reference).not.toMatch(/\|\n#/);
  });

  it('names each option’s environment variable and default', () => {
    expect(reference).toContain(
      '| `filesystem_store_datadir` | `GLIMPSE_FILESYSTEM_STORE_DATADIR` | string | `$data_dir/images` | Directory of a filesystem store. |',
    );
    expect(reference).toContain('| `public_endpoint` | `GLIMPSE_PUBLIC_ENDPOINT` | string | `(unset)` |');
    expect(reference).toContain('| `auth_strategy` | `GLIMPSE_AUTH_STRATEGY` | noauth \\| trusted \\| keystone | `noauth` |');
  });
});
