import { existsSync, readFileSync } from 'node:fs';

/** The KEY=value lines a service's start.sh writes (values quoted with printf %q); `start` says how to get the file. */
export function readEnvFile(path: string, start: string): Record<string, string> {
  if (!existsSync(path)) throw new Error(`${path} is missing: start it with\n  ${start}`);
  const entries = readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map(([, key, value]) => [key, value.replace(/\\(.)/g, '$1')]);
  return Object.fromEntries(entries);
}
