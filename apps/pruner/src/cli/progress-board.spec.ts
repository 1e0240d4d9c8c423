import { ProgressBoard } from './progress-board';

const MIB = 1024 * 1024;

function output(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) };
}

describe('ProgressBoard', () => {
  it('prints a line at each quarter, with bytes, percent and rate, when the output is not a terminal', () => {
    let now = 0;
    const out = output(false);
    const board = new ProgressBoard(out, () => now);
    for (let mib = 0; mib <= 100; mib += 10) {
      now = mib * 10; // 100 MiB/s
      board.update('a', 'upload', mib * MIB, 100 * MIB);
    }
    board.finish('a');
    expect(out.writes).toEqual([
      `upload [#######·················]  30%  30.0 of 100.0 MiB  100.0 MiB/s\n`,
      `upload [############············]  50%  50.0 of 100.0 MiB  100.0 MiB/s\n`,
      `upload [###################·····]  80%  80.0 of 100.0 MiB  100.0 MiB/s\n`,
      `upload [########################] 100%  100.0 of 100.0 MiB  100.0 MiB/s\n`,
    ]);
  });

  it('prints the final line once, even when the last update already reached the total', () => {
    const out = output(false);
    const board = new ProgressBoard(out, () => 1000);
    board.update('a', 'x', 10, 10);
    board.finish('a');
    board.finish('a');
    expect(out.writes).toHaveLength(1);
  });

  it('redraws every bar in place on a terminal, at most every 100 ms, and always at the end', () => {
    let now = 0;
    const out = output(true);
    const board = new ProgressBoard(out, () => now);
    board.update('n1', 'node-1 img', 0, 4 * MIB);
    board.update('n2', 'node-2 img', 0, 4 * MIB);
    now = 50;
    board.update('n1', 'node-1 img', MIB, 4 * MIB); // too soon: not drawn
    now = 200;
    board.update('n2', 'node-2 img', 2 * MIB, 4 * MIB);
    board.finish('n1');
    board.close();
    expect(out.writes[0]).toBe('\r\x1b[2Knode-1 img [························]   0%  0.0 of 4.0 MiB  0.0 MiB/s');
    // the first bar; the 200 ms redraw of both; finish; close; the newline below
    expect(out.writes).toHaveLength(5);
    expect(out.writes[1]).toBe(
      '\r\x1b[2Knode-1 img [######··················]  25%  1.0 of 4.0 MiB  5.0 MiB/s\n\r\x1b[2Knode-2 img [############············]  50%  2.0 of 4.0 MiB  10.0 MiB/s',
    );
    // two lines on screen now: back up one before redrawing them
    expect(out.writes[2].startsWith('\x1b[1A\r\x1b[2Knode-1 img [########################] 100%')).toBe(true);
    expect(out.writes[4]).toBe('\n');
  });

  it('shows bytes without a percentage when the total is unknown', () => {
    const out = output(false);
    let now = 0;
    const board = new ProgressBoard(out, () => now);
    board.update('a', 'download', 0, null);
    now = 2000;
    board.update('a', 'download', 3 * MIB, null);
    board.finish('a');
    expect(out.writes).toEqual([`download [########################] 100%  3.0 of 3.0 MiB  1.5 MiB/s\n`]);
  });
});
