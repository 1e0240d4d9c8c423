import { IMAGE_STATUSES, VISIBILITIES } from '@glimpse/contracts';

export const UUID_PATTERN = '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$';
export const UUID_RE = new RegExp(UUID_PATTERN);

type JsonSchema = Record<string, unknown>;

/**
 * The image schema served at /v2/schemas/image. Its property set is Glance's, except `stores`
 * (multi-store only), whose presence breaks python-glanceclient 4.1's option parsing.
 * Properties marked is_base: false are well-known custom properties: glanceclient adds them
 * with `add`, not `replace`.
 */
export function imageSchema(diskFormats: readonly string[], containerFormats: readonly string[]): JsonSchema {
  return {
    name: 'image',
    properties: {
      id: { type: 'string', pattern: UUID_PATTERN, description: 'An identifier for the image' },
      name: { type: ['null', 'string'], maxLength: 255, description: 'Descriptive name for the image' },
      status: { type: 'string', readOnly: true, enum: [...IMAGE_STATUSES], description: 'Status of the image' },
      visibility: { type: 'string', enum: ['community', 'public', 'private', 'shared'], description: 'Scope of image accessibility' },
      protected: { type: 'boolean', description: 'If true, image will not be deletable.' },
      os_hidden: { type: 'boolean', description: 'If true, image will not appear in default image list response.' },
      checksum: { type: ['null', 'string'], readOnly: true, maxLength: 32, description: 'md5 hash of image contents.' },
      os_hash_algo: { type: ['null', 'string'], readOnly: true, maxLength: 64, description: 'Algorithm used to compute os_hash_value.' },
      os_hash_value: { type: ['null', 'string'], readOnly: true, maxLength: 128, description: 'Secure hash of image contents.' },
      owner: { type: ['null', 'string'], maxLength: 255, description: 'Owner of the image' },
      size: { type: ['null', 'integer'], readOnly: true, description: 'Size of image file in bytes' },
      virtual_size: { type: ['null', 'integer'], readOnly: true, description: 'Virtual size of image in bytes' },
      container_format: { type: ['null', 'string'], enum: [null, ...containerFormats], description: 'Format of the container' },
      disk_format: { type: ['null', 'string'], enum: [null, ...diskFormats], description: 'Format of the disk' },
      created_at: { type: 'string', readOnly: true, description: 'Date and time of image registration' },
      updated_at: { type: 'string', readOnly: true, description: 'Date and time of the last image modification' },
      tags: { type: 'array', items: { type: 'string', maxLength: 255 }, description: 'List of strings related to the image' },
      direct_url: { type: 'string', readOnly: true, description: 'URL to access the image file kept in external store' },
      min_ram: { type: 'integer', description: 'Amount of ram (in MB) required to boot image.' },
      min_disk: { type: 'integer', description: 'Amount of disk space (in GB) required to boot image.' },
      self: { type: 'string', readOnly: true, description: 'An image self url' },
      file: { type: 'string', readOnly: true, description: 'An image file url' },
      schema: { type: 'string', readOnly: true, description: 'An image schema url' },
      locations: {
        type: 'array',
        items: {
          type: 'object',
          properties: { url: { type: 'string', maxLength: 255 }, metadata: { type: 'object' } },
          required: ['url', 'metadata'],
        },
        description: 'A set of URLs to access the image file kept in external store',
      },
      ...wellKnownProperties(),
    },
    additionalProperties: { type: 'string' },
    links: [
      { rel: 'self', href: '{self}' },
      { rel: 'enclosure', href: '{file}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

function wellKnownProperties(): Record<string, JsonSchema> {
  const custom = (schema: JsonSchema) => ({ ...schema, is_base: false });
  return {
    kernel_id: custom({ type: ['null', 'string'], pattern: UUID_PATTERN, description: 'ID of an image stored in Glance used as the kernel when booting an AMI-style image.' }),
    ramdisk_id: custom({ type: ['null', 'string'], pattern: UUID_PATTERN, description: 'ID of an image stored in Glance used as the ramdisk when booting an AMI-style image.' }),
    instance_uuid: custom({ type: 'string', description: 'Metadata which can be used to record which instance this image is associated with.' }),
    architecture: custom({ type: 'string', description: 'CPU architecture the image requires (e.g. x86_64).' }),
    os_distro: custom({ type: 'string', description: 'Common name of the operating system distribution (e.g. ubuntu).' }),
    os_version: custom({ type: 'string', description: 'Operating system version as specified by the distributor.' }),
    description: custom({ type: 'string', description: 'A human-readable string describing this image.' }),
    cinder_encryption_key_id: custom({ type: 'string', description: 'Identifier in the key management service of the encryption key of a volume image.' }),
    cinder_encryption_key_deletion_policy: custom({ type: 'string', enum: ['on_image_deletion', 'do_not_delete'], description: 'Whether the encryption key is deleted with the image.' }),
  };
}

export function imagesSchema(image: JsonSchema): JsonSchema {
  return collectionSchema('images', image);
}

/** A paged list of `item`s under the key `name`, with Glance's first/next/describedby links. */
export function collectionSchema(name: string, item: JsonSchema): JsonSchema {
  return {
    name,
    properties: {
      [name]: { type: 'array', items: item },
      schema: { type: 'string' },
      first: { type: 'string' },
      next: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

/** Attributes a client can never write (403 "is read-only"). */
export const READ_ONLY = new Set([
  'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size', 'virtual_size',
  'created_at', 'updated_at', 'self', 'file', 'schema', 'direct_url', 'stores',
]);
/** Attributes nobody may set (403 "is reserved"); os_glance* too. */
export const RESERVED = new Set(['location', 'deleted', 'deleted_at']);

export const VISIBILITY_VALUES: readonly string[] = VISIBILITIES;
