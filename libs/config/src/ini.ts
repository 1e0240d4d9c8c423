export interface IniEntry {
  section: string;
  key: string;
  value: string;
  line: number;
}

/** Parses oslo.config's ini dialect: [section], key = value, # and ; comments, indented continuations. */
export function parseIni(text: string): { entries: IniEntry[]; errors: { line: number; message: string }[] } {
  const entries: IniEntry[] = [];
  const errors: { line: number; message: string }[] = [];
  let section: string | null = null;
  let last: IniEntry | null = null;
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = index + 1;
    if (/^\s*([#;].*)?$/.test(rawLine)) {
      last = null;
      return;
    }
    if (/^\s/.test(rawLine) && last) {
      last.value = `${last.value}\n${rawLine.trim()}`;
      return;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(rawLine);
    if (header) {
      section = header[1].trim();
      last = null;
      return;
    }
    const assignment = /^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(rawLine);
    if (!assignment) {
      errors.push({ line, message: `cannot parse "${rawLine.trim()}"` });
      return;
    }
    if (section === null) {
      errors.push({ line, message: `"${assignment[1]}" appears before any [section]` });
      return;
    }
    last = { section, key: assignment[1].trim(), value: assignment[2].trim(), line };
    entries.push(last);
  });
  return { entries, errors };
}
