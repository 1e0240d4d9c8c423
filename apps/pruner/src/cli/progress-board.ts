/** Where progress goes: a terminal is redrawn in place, anything else gets a line per step. */
export interface ProgressOutput {
  isTTY?: boolean;
  write(text: string): unknown;
}

interface Bar {
  label: string;
  total: number | null;
  done: number;
  startedAt: number;
  /** The last quarter (0–4) printed, for output that is not a terminal. */
  step: number;
  finished: boolean;
}

const WIDTH = 24;
const REDRAW_MS = 100;
const MIB = 1024 * 1024;

/**
 * Progress bars for transfers (uploads, downloads, one per node and image for a prefetch):
 * `label [#######·······]  45%  460.0 of 1024.0 MiB  380.2 MiB/s`. On a terminal every bar
 * is redrawn in place at most every 100 ms; elsewhere (a log, CI) each bar prints a line when it
 * passes 25, 50, 75 and 100 %, so a log stays short and readable.
 */
export class ProgressBoard {
  private readonly bars = new Map<string, Bar>();
  private drawnLines = 0;
  private lastDraw = -Infinity;

  constructor(
    private readonly out: ProgressOutput,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sets a bar's bytes so far (and its total when known); a new key adds a bar. */
  update(key: string, label: string, done: number, total: number | null): void {
    let bar = this.bars.get(key);
    if (!bar) {
      bar = { label, total, done, startedAt: this.now(), step: 0, finished: false };
      this.bars.set(key, bar);
    }
    bar.total = total ?? bar.total;
    bar.done = done;
    this.changed(bar);
  }

  has(key: string): boolean {
    return this.bars.has(key);
  }

  /** Marks a bar complete (at its total, or at the bytes it got when there is none). */
  finish(key: string): void {
    const bar = this.bars.get(key);
    if (!bar || bar.finished) return;
    bar.finished = true;
    if (bar.total !== null) bar.done = bar.total;
    else bar.total = bar.done;
    this.changed(bar, true);
  }

  /** Draws the final state on a terminal and moves below it. */
  close(): void {
    if (this.out.isTTY && this.bars.size > 0) {
      this.draw();
      this.out.write('\n');
      this.drawnLines = 0;
    }
  }

  /** One bar as text. */
  render(bar: Bar): string {
    const fraction = bar.total ? Math.min(1, bar.done / bar.total) : 0;
    const filled = Math.floor(fraction * WIDTH);
    const seconds = Math.max(0.001, (this.now() - bar.startedAt) / 1000);
    const of = bar.total === null ? `${mib(bar.done)} MiB` : `${mib(bar.done)} of ${mib(bar.total)} MiB`;
    const percent = bar.total ? `${Math.floor(fraction * 100)}%`.padStart(4) : '  ?%';
    return `${bar.label} [${'#'.repeat(filled)}${'·'.repeat(WIDTH - filled)}] ${percent}  ${of}  ${mib(bar.done / seconds)} MiB/s`;
  }

  private changed(bar: Bar, final = false): void {
    if (this.out.isTTY) {
      if (final || this.now() - this.lastDraw >= REDRAW_MS) this.draw();
      return;
    }
    const step = bar.total ? Math.floor((4 * Math.min(bar.done, bar.total)) / bar.total) : 0;
    if (step > bar.step || (final && bar.step < 4)) {
      bar.step = final ? 4 : step;
      this.out.write(`${this.render(bar)}\n`);
    }
  }

  private draw(): void {
    this.lastDraw = this.now();
    const up = this.drawnLines > 1 ? `\x1b[${this.drawnLines - 1}A` : '';
    const lines = [...this.bars.values()].map((bar) => `\r\x1b[2K${this.render(bar)}`);
    this.out.write(up + lines.join('\n'));
    this.drawnLines = lines.length;
  }
}

function mib(bytes: number): string {
  return (bytes / MIB).toFixed(1);
}
