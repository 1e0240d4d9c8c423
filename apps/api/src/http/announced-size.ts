import { badRequest } from '@glimpse/contracts';
import type { Request } from 'express';

/** x-openstack-image-size (glanceclient) or Content-Length; absent for a chunked stream. */
export function announcedSize(req: Request): number | undefined {
  const raw = req.headers['x-openstack-image-size'] ?? (req.headers['transfer-encoding'] ? undefined : req.headers['content-length']);
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw badRequest(`Invalid image size: ${value}`);
  return Number(value);
}
