import { requestedRange } from './byte-range';

describe('requestedRange', () => {
  it('is null without Range or Content-Range', () => {
    expect(requestedRange({}, 100)).toBeNull();
  });

  it.each([
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=10-10', { start: 10, end: 10 }],
    ['bytes=90-', { start: 90, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=-100', { start: 0, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    ['bytes=50-1000', { start: 50, end: 99 }],
    ['Bytes = 1 - 2', { start: 1, end: 2 }],
  ])('reads Range: %s of a 100-byte image', (range, expected) => {
    expect(requestedRange({ range }, 100)).toEqual(expected);
  });

  it.each(['bytes=100-', 'bytes=100-200', 'bytes=5-4', 'bytes=-0', 'bytes=-', 'items=0-1', 'bytes=a-b'])(
    'answers 416 to Range: %s of a 100-byte image',
    (range) => {
      expect(failure(() => requestedRange({ range }, 100))).toEqual({
        code: 'range_not_satisfiable',
        message: `Requested range ${range} is not satisfiable.`,
      });
    },
  );

  it('answers 400 to several ranges', () => {
    expect(failure(() => requestedRange({ range: 'bytes=0-1,5-6' }, 100))).toEqual({
      code: 'bad_request',
      message: 'Multiple ranges are not supported.',
    });
  });

  it.each([
    ['bytes 0-9/100', { start: 0, end: 9 }],
    ['bytes 10-500/*', { start: 10, end: 99 }],
  ])('accepts the legacy request Content-Range: %s', (contentRange, expected) => {
    expect(requestedRange({ 'content-range': contentRange }, 100)).toEqual(expected);
  });

  it.each(['bytes 100-120/200', 'bytes 9-3/100', 'bytes=0-9', 'bytes 0-/100'])('answers 416 to Content-Range: %s', (contentRange) => {
    expect(failure(() => requestedRange({ 'content-range': contentRange }, 100)).code).toBe('range_not_satisfiable');
  });

  it('prefers Range over Content-Range', () => {
    expect(requestedRange({ range: 'bytes=1-2', 'content-range': 'bytes 5-6/100' }, 100)).toEqual({ start: 1, end: 2 });
  });
});

/** The code and message of what `run` throws (and a failure when it throws nothing). */
function failure(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error('expected an error');
}
