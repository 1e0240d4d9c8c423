import { type CliResult, runProcess } from './run-process';

export type { CliResult } from './run-process';

/** The python-glanceclient CLI (Debian's python3-glanceclient installs it as `glance`). */
export const GLANCE = process.env['GLIMPSE_GLANCE_CLI'] ?? 'glance';

/**
 * Runs the real `glance` CLI with HOME set to `home` (so ~/.glanceclient, where it caches the
 * image schema, is per test run) and nothing else from the caller's OpenStack environment.
 * stdin is /dev/null: glanceclient reads image data from stdin when it is not a tty and no
 * --file is given.
 */
export function glance(home: string, args: string[], timeoutMs = 30000, closedStdin = false): Promise<CliResult> {
  return runProcess(GLANCE, args, { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home }, timeoutMs, closedStdin });
}

/**
 * `glance --os-image-url <url> --os-auth-token noauth …`, bound to one HOME. With closedStdin the
 * CLI sees no stdin at all (else /dev/null counts as image data for image-create).
 */
export function glanceFor(url: string, home: string, { closedStdin = false } = {}) {
  return (...args: string[]) => glance(home, ['--os-image-url', url, '--os-auth-token', 'noauth', ...args], 30000, closedStdin);
}

export interface Table {
  headers: string[];
  rows: string[][];
}

const BORDER = /^\+(-+\+)+$/;

/**
 * Every prettytable in `text` (`+----+----+` borders, `| a | b |` rows). Cells are cut at the
 * border's `+` positions, so a `|` inside a value does not split it. A row whose first cell is
 * empty continues the row above (prettytable wraps values longer than the column width): its
 * cells are appended, with no separator when the piece above filled the column (a long word cut
 * in two, e.g. a sha512) and with a space otherwise (a wrap at a word boundary).
 */
export function parseTables(text: string): Table[] {
  const tables: Table[] = [];
  const lines = text.split(/\r?\n/);
  let i = 0;
  while (i < lines.length) {
    const border = lines[i].trimEnd();
    if (!BORDER.test(border)) {
      i++;
      continue;
    }
    const cuts = [...border].flatMap((ch, at) => (ch === '+' ? [at] : []));
    const widths = cuts.slice(1).map((end, k) => end - cuts[k] - 1);
    const cells = (line: string) => cuts.slice(1).map((end, k) => line.slice(cuts[k] + 1, end).trim());
    const isRow = (line: string | undefined) => line !== undefined && line.startsWith('|') && line.trimEnd().length === border.length;
    i++;
    if (!isRow(lines[i])) continue;
    const headers = cells(lines[i]);
    i++;
    if (!BORDER.test(lines[i]?.trimEnd() ?? '')) continue;
    i++;
    const rows: string[][] = [];
    const lastPiece: string[] = [];
    while (isRow(lines[i])) {
      const row = cells(lines[i]);
      const previous = rows[rows.length - 1];
      if (previous && row[0] === '') {
        row.forEach((piece, k) => {
          if (piece === '') return;
          const full = lastPiece[k].length >= widths[k] - 2;
          previous[k] = previous[k] === '' ? piece : previous[k] + (full ? '' : ' ') + piece;
          lastPiece[k] = piece;
        });
      } else {
        rows.push(row);
        row.forEach((piece, k) => (lastPiece[k] = piece));
      }
      i++;
    }
    if (BORDER.test(lines[i]?.trimEnd() ?? '')) i++;
    tables.push({ headers, rows });
  }
  return tables;
}

function onlyTable(text: string): Table {
  const tables = parseTables(text);
  if (tables.length !== 1) throw new Error(`expected one table in the glance output, found ${tables.length}:\n${text}`);
  return tables[0];
}

/** A `| Property | Value |` table (image-show, image-create, image-update) as a record. */
export function parsePropertyTable(text: string): Record<string, string> {
  const table = onlyTable(text);
  if (table.headers[0] !== 'Property' || table.headers[1] !== 'Value') {
    throw new Error(`not a Property/Value table: ${table.headers.join(', ')}`);
  }
  return Object.fromEntries(table.rows.map(([key, value]) => [key, value]));
}

/** A list table (image-list, image-tag-update) as one record per row, keyed by column header. */
export function parseListTable(text: string): Record<string, string>[] {
  const table = onlyTable(text);
  return table.rows.map((row) => Object.fromEntries(table.headers.map((h, k) => [h, row[k]])));
}

/** How glanceclient's print_image renders one value of the image JSON. */
export function cliValue(key: string, value: unknown): string {
  if (key === 'virtual_size' && !value) return 'Not available';
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (Array.isArray(value) || typeof value === 'object') return pythonJsonDumps(value);
  return String(value);
}

/** Python's json.dumps separators (", " and ": "), which print_dict uses for lists and dicts. */
function pythonJsonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pythonJsonDumps(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}
