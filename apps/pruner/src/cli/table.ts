export type Row = string[];

/** A plain-text table, columns as wide as their widest cell. */
export function table(headers: string[], rows: Row[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  const border = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  return [border, line(headers), border, ...rows.map(line), border].join('\n');
}
