import { spawn } from 'node:child_process';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env: Record<string, string>;
  /** Written to stdin, which is /dev/null otherwise (the OpenStack clients read data from it). */
  input?: string;
  /** Start with stdin closed, as cron does: then glanceclient reads no data from it at all. */
  closedStdin?: boolean;
  timeoutMs: number;
}

/** Runs a real client as a child process, killed after timeoutMs, and collects its output. */
export function runProcess(command: string, args: string[], options: RunOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [program, argv] = options.closedStdin ? ['/bin/sh', ['-c', 'exec "$0" "$@" <&-', command, ...args]] : [command, args];
    const child = spawn(program, argv, {
      env: { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const killed = signal ? `\n[${command} killed by ${signal} after ${options.timeoutMs} ms]` : '';
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() + killed });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
