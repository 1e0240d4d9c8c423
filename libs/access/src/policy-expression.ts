/**
 * oslo.policy's rule language: checks (`role:admin`, `project_id:%(owner)s`, `'public':%(visibility)s`,
 * `rule:other`, `@`, `!`, an empty rule) combined with `and`, `or`, `not` and parentheses.
 */
export type Check =
  | { kind: 'true' }
  | { kind: 'false' }
  | { kind: 'rule'; name: string }
  | { kind: 'role'; match: string }
  | { kind: 'generic'; left: string; literal: boolean; match: string }
  | { kind: 'not'; check: Check }
  | { kind: 'and'; checks: Check[] }
  | { kind: 'or'; checks: Check[] };

export class PolicySyntaxError extends Error {}

/** As oslo.policy: parentheses count only at the edges of whitespace-separated words. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.startsWith('(')) {
      tokens.push('(');
      word = word.slice(1);
    }
    let closing = 0;
    while (word.endsWith(')') && !/%\(\w+\)$/.test(word)) {
      closing++;
      word = word.slice(0, -1);
    }
    if (word) tokens.push(word);
    for (let i = 0; i < closing; i++) tokens.push(')');
  }
  return tokens;
}

function atom(token: string): Check {
  if (token === '@') return { kind: 'true' };
  if (token === '!') return { kind: 'false' };
  const colon = token.indexOf(':');
  if (colon <= 0 || colon === token.length - 1) throw new PolicySyntaxError(`"${token}" is not a check (kind:match)`);
  const kind = token.slice(0, colon);
  const match = token.slice(colon + 1);
  if (kind === 'rule') return { kind: 'rule', name: match };
  if (kind === 'role') return { kind: 'role', match };
  if (kind === 'http' || kind === 'https') throw new PolicySyntaxError(`${kind} checks are not supported`);
  const quoted = /^(['"])(.*)\1$/.exec(kind);
  return quoted ? { kind: 'generic', left: quoted[2], literal: true, match } : { kind: 'generic', left: kind, literal: false, match };
}

/** Parses one rule; an empty string allows everything, as in oslo.policy. */
export function parseRule(text: string): Check {
  const tokens = tokenize(text);
  if (tokens.length === 0) return { kind: 'true' };
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];

  const parseOr = (): Check => {
    const checks = [parseAnd()];
    while (peek()?.toLowerCase() === 'or') {
      next();
      checks.push(parseAnd());
    }
    return checks.length === 1 ? checks[0] : { kind: 'or', checks };
  };
  const parseAnd = (): Check => {
    const checks = [parseNot()];
    while (peek()?.toLowerCase() === 'and') {
      next();
      checks.push(parseNot());
    }
    return checks.length === 1 ? checks[0] : { kind: 'and', checks };
  };
  const parseNot = (): Check => {
    if (peek()?.toLowerCase() === 'not') {
      next();
      return { kind: 'not', check: parseNot() };
    }
    const token = next();
    if (token === undefined) throw new PolicySyntaxError('the rule ends where a check was expected');
    if (token === '(') {
      const inner = parseOr();
      if (next() !== ')') throw new PolicySyntaxError('a "(" is not closed');
      return inner;
    }
    if (token === ')' || ['and', 'or'].includes(token.toLowerCase())) {
      throw new PolicySyntaxError(`unexpected "${token}"`);
    }
    return atom(token);
  };

  const check = parseOr();
  if (position < tokens.length) throw new PolicySyntaxError(`unexpected "${tokens[position]}"`);
  return check;
}

/** The rule names a check refers to, so that a dangling rule: is caught at load time. */
export function referencedRules(check: Check): string[] {
  switch (check.kind) {
    case 'rule':
      return [check.name];
    case 'not':
      return referencedRules(check.check);
    case 'and':
    case 'or':
      return check.checks.flatMap(referencedRules);
    default:
      return [];
  }
}

export interface Credentials {
  roles: string[];
  project_id: string | null;
  user_id: string | null;
  is_admin: boolean;
  [key: string]: unknown;
}

export type Target = Record<string, string | null | undefined>;

/** `%(name)s` from the target; a missing key makes the check false, as oslo does. */
function substitute(match: string, target: Target): string | null {
  const only = /^%\((\w+)\)s$/.exec(match);
  if (only) {
    const value = target[only[1]];
    return value === undefined || value === null ? null : String(value);
  }
  let missing = false;
  const text = match.replace(/%\((\w+)\)s/g, (_m, key: string) => {
    const value = target[key];
    if (value === undefined || value === null) missing = true;
    return String(value ?? '');
  });
  return missing ? null : text;
}

export function evaluate(
  check: Check,
  credentials: Credentials,
  target: Target,
  resolveRule: (name: string) => Check | undefined,
  depth = 0,
): boolean {
  if (depth > 50) throw new PolicySyntaxError('rules refer to each other in a loop');
  switch (check.kind) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'rule': {
      const rule = resolveRule(check.name);
      return rule !== undefined && evaluate(rule, credentials, target, resolveRule, depth + 1);
    }
    case 'role': {
      const role = substitute(check.match, target);
      return role !== null && credentials.roles.includes(role.toLowerCase());
    }
    case 'generic': {
      const match = substitute(check.match, target);
      if (match === null) return false;
      if (check.literal) return check.left === match;
      const value = credentials[check.left];
      if (typeof value === 'boolean') return String(value).toLowerCase() === match.toLowerCase();
      return value !== undefined && value !== null && String(value) === match;
    }
    case 'not':
      return !evaluate(check.check, credentials, target, resolveRule, depth + 1);
    case 'and':
      return check.checks.every((c) => evaluate(c, credentials, target, resolveRule, depth + 1));
    case 'or':
      return check.checks.some((c) => evaluate(c, credentials, target, resolveRule, depth + 1));
  }
}
