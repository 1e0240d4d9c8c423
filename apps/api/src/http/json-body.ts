import { badRequest, GlimpseError } from '@glimpse/contracts';
import type { Request } from 'express';

const MAX_JSON_BODY = 1024 * 1024;

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
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('Malformed JSON in request body.');
  }
}

export function mediaType(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}
