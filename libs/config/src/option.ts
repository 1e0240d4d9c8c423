/** One declared option: its type, default and help. The config reference is generated from these. */
export interface OptionSpec<T> {
  readonly type: 'string' | 'int' | 'number' | 'bool' | 'enum' | 'list' | 'size';
  readonly default: T;
  readonly help: string;
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Never printed back (passwords, keys). */
  readonly secret?: boolean;
  parse(raw: string): T;
}

type Limits = { min?: number; max?: number };

export function str(def: string, help: string, extra: { secret?: boolean } = {}): OptionSpec<string> {
  return { type: 'string', default: def, help, ...extra, parse: (raw) => raw };
}

export function pattern(def: string, re: RegExp, help: string): OptionSpec<string> {
  return {
    type: 'string',
    default: def,
    help,
    parse(raw) {
      if (!re.test(raw)) throw new Error(`"${raw}" does not match ${re}`);
      return raw;
    },
  };
}

export function optionalStr(help: string): OptionSpec<string | null> {
  return { type: 'string', default: null, help, parse: (raw) => (raw === '' ? null : raw) };
}

export function int(def: number, help: string, limits: Limits = {}): OptionSpec<number> {
  return {
    type: 'int',
    default: def,
    help,
    ...limits,
    parse(raw) {
      if (!/^-?\d+$/.test(raw.trim())) throw new Error(`"${raw}" is not an integer`);
      const value = Number(raw.trim());
      if (!Number.isSafeInteger(value)) throw new Error(`"${raw}" is out of range`);
      if (limits.min !== undefined && value < limits.min) throw new Error(`${value} is below the minimum ${limits.min}`);
      if (limits.max !== undefined && value > limits.max) throw new Error(`${value} is above the maximum ${limits.max}`);
      return value;
    },
  };
}

/** A decimal number (seconds that may be fractional, such as wakeup_time = 0.001). */
export function num(def: number, help: string, limits: Limits = {}): OptionSpec<number> {
  return {
    type: 'number',
    default: def,
    help,
    ...limits,
    parse(raw) {
      if (!/^-?(\d+\.?\d*|\.\d+)$/.test(raw.trim())) throw new Error(`"${raw}" is not a number`);
      const value = Number(raw.trim());
      if (limits.min !== undefined && value < limits.min) throw new Error(`${value} is below the minimum ${limits.min}`);
      if (limits.max !== undefined && value > limits.max) throw new Error(`${value} is above the maximum ${limits.max}`);
      return value;
    },
  };
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

export function bool(def: boolean, help: string): OptionSpec<boolean> {
  return {
    type: 'bool',
    default: def,
    help,
    parse(raw) {
      const value = raw.trim().toLowerCase();
      if (TRUE.includes(value)) return true;
      if (FALSE.includes(value)) return false;
      throw new Error(`"${raw}" is not a boolean (true or false)`);
    },
  };
}

export function oneOf<const C extends readonly string[]>(
  choices: C,
  def: C[number],
  help: string,
): OptionSpec<C[number]> {
  return {
    type: 'enum',
    default: def,
    help,
    choices,
    parse(raw) {
      const value = raw.trim();
      if (!(choices as readonly string[]).includes(value)) {
        throw new Error(`"${raw}" is not one of ${choices.join(', ')}`);
      }
      return value as C[number];
    },
  };
}

export function list(def: readonly string[], help: string): OptionSpec<readonly string[]> {
  return {
    type: 'list',
    default: def,
    help,
    parse: (raw) =>
      raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
  };
}

const UNITS: Record<string, number> = { '': 1, B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** A byte count as Glance's user_storage_quota writes it: digits, optionally K, M, G or T plus B. */
export function size(def: string, help: string): OptionSpec<number> {
  return {
    type: 'size',
    default: parseSize(def),
    help,
    parse: parseSize,
  };
}

function parseSize(raw: string): number {
  const match = /^(\d+)((K|M|G|T)?B)?$/.exec(raw.trim());
  if (!match) throw new Error(`"${raw}" is not a size (digits with an optional KB, MB, GB, TB or B)`);
  return Number(match[1]) * UNITS[match[2] ?? ''];
}
