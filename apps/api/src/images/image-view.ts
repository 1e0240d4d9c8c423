import type { ImageRecord } from '@glimpse/contracts';

/** Glance prints times as YYYY-MM-DDTHH:MM:SSZ, without sub-seconds. */
export function isoTime(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}

/**
 * The image as the Images API v2 shows it, without the custom properties the caller may not read.
 * Locations stay hidden (show_multiple_locations is off).
 */
export function imageView(image: ImageRecord, readable: (property: string) => boolean = () => true): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(image.properties)) if (readable(key)) view[key] = value ?? '';
  Object.assign(view, {
    id: image.id,
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: image.osHidden,
    checksum: image.checksum,
    os_hash_algo: image.osHashAlgo,
    os_hash_value: image.osHashValue,
    owner: image.owner,
    size: image.size,
    virtual_size: image.virtualSize,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    min_disk: image.minDisk,
    min_ram: image.minRam,
    created_at: isoTime(image.createdAt),
    updated_at: isoTime(image.updatedAt),
    tags: image.tags,
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
  });
  return view;
}
