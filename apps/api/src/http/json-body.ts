import { badRequest, GlimpseError } from '@glimpse/contracts';
import type { Request } from 'express';

const MAX_JSON_BODY = 1024 * 1024;
/**
 * Deeper nesting is refused as Python's json refuses it (its recursion limit is 1000): nothing in
 * the API nests that deep, and recursive walks of such a value (JSON.stringify in the schema
 * error messages) would overflow the stack and answer 500.
 */
const MAX_JSON_DEPTH = 1000;

/** Reads a small JSON request body; malformed JSON is a 400, as Glance answers. */
export async function readJsonBody(req: Request): Promise<unknown> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > MAX_JSON_BODY) throw new GlimpseError('payload_too_large', 'The request body is too large.');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw badRequest('Malformed JSON in request body.');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest('Malformed JSON in request body.');
  }
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
    throw badRequest(`Malformed JSON in request body: nested deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  return body;
}

/** Whether brackets outside strings nest past `limit` in a text that is valid JSON. */
function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export function mediaType(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}
