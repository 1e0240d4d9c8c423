import { declaredOptions, envName } from './load-config';

/** docs/configuration.md, generated from the option declarations (npm run docs:config). */
export function configReference(): string {
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from libs/config/src/options.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    "Glimpse reads Glance's ini layout: `--config-file <file>` (repeatable; later files win) or",
    '`GLIMPSE_CONFIG_FILE`, then the environment, where every option is `GLIMPSE_<OPTION>` in upper',
    'case. `$name` in a value refers to another option. An unknown option or a bad value stops the',
    'process with one message naming each offending option and where it came from.',
    '',
  ];
  let section = '';
  for (const option of declaredOptions()) {
    if (option.section !== section) {
      section = option.section;
      lines.push(`## [${section}]`, '', '| option | environment | type | default | description |', '|---|---|---|---|---|');
    }
    const spec = option.spec;
    const def = Array.isArray(spec.default) ? spec.default.join(',') : spec.default === null ? '(unset)' : String(spec.default);
    const type = spec.choices ? spec.choices.join(' \\| ') : spec.type;
    lines.push(`| \`${option.name}\` | \`${envName(option.name)}\` | ${type} | \`${def}\` | ${spec.help} |`);
    const next = declaredOptions()[declaredOptions().indexOf(option) + 1];
    if (!next || next.section !== section) lines.push('');
  }
  return lines.join('\n');
}
