import { GlimpseError, badRequest } from '@glimpse/contracts';
import type { ByteRange } from '@glimpse/stores';

/**
 * The range a download asks for: `Range: bytes=a-b | a- | -n`, or the legacy request
 * Content-Range Glance also accepts. Several ranges are a 400; an unsatisfiable one a 416.
 */
export function requestedRange(
  headers: { range?: string; 'content-range'?: string },
  size: number,
): ByteRange | null {
  const range = headers.range;
  if (range !== undefined) return parseRange(range, size);
  const contentRange = headers['content-range'];
  if (contentRange !== undefined) return parseContentRange(contentRange, size);
  return null;
}

function unsatisfiable(header: string): GlimpseError {
  return new GlimpseError('range_not_satisfiable', `Requested range ${header} is not satisfiable.`);
}

function parseRange(header: string, size: number): ByteRange {
  const match = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!match) throw unsatisfiable(header);
  if (match[1].includes(',')) throw badRequest('Multiple ranges are not supported.');
  const spec = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(match[1]);
  if (!spec || (spec[1] === '' && spec[2] === '')) throw unsatisfiable(header);
  if (spec[1] === '') {
    const suffix = Number(spec[2]);
    if (suffix === 0) throw unsatisfiable(header);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(spec[1]);
  const end = spec[2] === '' ? size - 1 : Math.min(Number(spec[2]), size - 1);
  if (start >= size || end < start) throw unsatisfiable(header);
  return { start, end };
}

function parseContentRange(header: string, size: number): ByteRange {
  const spec = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(header);
  if (!spec) throw unsatisfiable(header);
  const start = Number(spec[1]);
  const end = Math.min(Number(spec[2]), size - 1);
  if (start >= size || end < start) throw unsatisfiable(header);
  return { start, end };
}
