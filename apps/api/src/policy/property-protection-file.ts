import { readFileSync } from 'node:fs';
import { parseIni } from '@glimpse/config';
import type { ApiSettings } from '../api.settings';

export type PropertyOperation = 'create' | 'read' | 'update' | 'delete';
export const OPERATIONS: PropertyOperation[] = ['create', 'read', 'update', 'delete'];

export interface ProtectionRule {
  section: string;
  pattern: RegExp;
  /** Roles (roles format) or one policy rule name (policies format) per operation. */
  permissions: Record<PropertyOperation, string[]>;
}

/**
 * Glance's property protections: the first section (a regular expression searched in the
 * property name, in file order) decides; a property no section matches is protected from
 * everyone. Glance's own os_glance* properties are always allowed.
 */
export function loadProtections(file: string, format: 'roles' | 'policies'): ProtectionRule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`property_protection_file=${file}: cannot read it: ${(error as Error).message}`);
  }
  const { entries, errors } = parseIni(text);
  const problems = errors.map((e) => `line ${e.line}: ${e.message}`);
  const sections = [...new Set(entries.map((e) => e.section))];
  const rules: ProtectionRule[] = [{ section: 'os_glance.*', pattern: /os_glance.*/, permissions: allowAll() }];
  for (const section of sections.filter((s) => !s.startsWith('os_glance'))) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(section);
    } catch (error) {
      problems.push(`[${section}] is not a regular expression: ${(error as Error).message}`);
      continue;
    }
    const permissions = {} as Record<PropertyOperation, string[]>;
    for (const operation of OPERATIONS) {
      const entry = entries.find((e) => e.section === section && e.key === operation);
      if (!entry) {
        problems.push(`[${section}] has no ${operation} key`);
        continue;
      }
      const values = entry.value.split(',').map((v) => v.trim()).filter(Boolean);
      if (values.includes('@') && values.includes('!')) problems.push(`[${section}] ${operation}: '@' and '!' are mutually exclusive`);
      if (format === 'policies' && values.length > 1) {
        problems.push(`[${section}] ${operation}: one policy per operation (combine rules in the policy file)`);
      }
      permissions[operation] = values;
    }
    rules.push({ section, pattern, permissions });
  }
  if (problems.length > 0) throw new Error(`property_protection_file=${file}: ${problems.join('; ')}`);
  return rules;
}

function allowAll(): Record<PropertyOperation, string[]> {
  return { create: ['@'], read: ['@'], update: ['@'], delete: ['@'] };
}

/** The policy rule names a policies-format file refers to (the policy file must define them). */
export function protectionPolicyNames(settings: ApiSettings): string[] {
  if (!settings.propertyProtectionFile || settings.propertyProtectionFormat !== 'policies') return [];
  return loadProtections(settings.propertyProtectionFile, 'policies').flatMap((rule) =>
    OPERATIONS.flatMap((op) => rule.permissions[op].filter((p) => p !== '@' && p !== '!')),
  );
}
