import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_RULES } from './policy-defaults';
import { type Check, PolicySyntaxError, parseRule, referencedRules } from './policy-expression';

export type RuleSet = ReadonlyMap<string, Check>;

/**
 * Glance's defaults with a policy file (YAML or JSON) laid over them. Every problem is reported:
 * a bad expression, a rule: that names nothing, a name that is neither a Glance rule nor used
 * by another rule (most often a typo).
 */
export function loadRules(file: string | null, usedElsewhere: readonly string[] = []): RuleSet {
  const overrides = file ? readPolicyFile(file) : {};
  const texts: Record<string, string> = { ...DEFAULT_RULES, ...overrides };
  const problems: string[] = [];
  const rules = new Map<string, Check>();
  for (const [name, text] of Object.entries(texts)) {
    try {
      rules.set(name, parseRule(text));
    } catch (error) {
      if (!(error instanceof PolicySyntaxError)) throw error;
      problems.push(`rule "${name}": ${error.message} in "${text}"`);
    }
  }
  const referenced = new Set([...[...rules.values()].flatMap(referencedRules), ...usedElsewhere]);
  for (const name of referenced) if (!rules.has(name)) problems.push(`rule:${name} refers to a rule that is not defined`);
  for (const name of Object.keys(overrides)) {
    if (!(name in DEFAULT_RULES) && !referenced.has(name)) {
      problems.push(`rule "${name}" is not a Glance policy rule and no rule refers to it`);
    }
  }
  if (problems.length > 0) throw new Error(`policy_file=${file}: ${problems.join('; ')}`);
  return rules;
}

function readPolicyFile(file: string): Record<string, string> {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`policy_file=${file}: cannot read it: ${(error as Error).message}`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new Error(`policy_file=${file}: must map rule names to rules`);
  }
  const rules: Record<string, string> = {};
  for (const [name, value] of Object.entries(document as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new Error(`policy_file=${file}: rule "${name}" must be a string`);
    rules[name] = value;
  }
  return rules;
}
