import type { ImageLocation, ImageRecord, ImageStatus, Visibility } from '@glimpse/contracts';
import type { ImageEntity, ImageLocationEntity, ImagePropertyEntity, ImageTagEntity } from './image.entities';

/** MariaDB returns bigint as a string, SQLite as a number. */
export function toNumber(value: string | number | null): number | null {
  return value === null || value === undefined ? null : Number(value);
}

export interface ImageChildren {
  properties: ImagePropertyEntity[];
  tags: ImageTagEntity[];
  locations: ImageLocationEntity[];
}

export function toImageRecord(image: ImageEntity, children: ImageChildren): ImageRecord {
  const properties: Record<string, string> = {};
  for (const p of children.properties) properties[p.name] = p.value;
  return {
    id: image.id,
    name: image.name,
    status: image.status as ImageStatus,
    visibility: image.visibility as Visibility,
    protected: Boolean(image.protected),
    osHidden: Boolean(image.osHidden),
    owner: image.owner,
    size: toNumber(image.size),
    virtualSize: toNumber(image.virtualSize),
    checksum: image.checksum,
    osHashAlgo: image.osHashAlgo,
    osHashValue: image.osHashValue,
    diskFormat: image.diskFormat,
    containerFormat: image.containerFormat,
    minDisk: image.minDisk,
    minRam: image.minRam,
    createdAt: new Date(image.createdAt).toISOString(),
    updatedAt: new Date(image.updatedAt).toISOString(),
    tags: children.tags.map((t) => t.value),
    properties,
    locations: children.locations
      .filter((l) => l.status === 'active')
      .map((l): ImageLocation => ({ url: l.value, metadata: JSON.parse(l.metaData), status: 'active' })),
  };
}
