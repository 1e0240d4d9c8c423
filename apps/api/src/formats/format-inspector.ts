import { GlimpseError } from '@glimpse/contracts';
import { type FileHandle, open } from 'node:fs/promises';

/**
 * Disk image format inspection in the manner of Glance's inspector (oslo.utils
 * imageutils.format_inspector): read the few headers each format needs, name the format, its
 * virtual size, and whatever makes the image unsafe to hand to qemu-img.
 */

/** The formats the inspector tells apart by content; anything it does not recognise is raw. */
export const INSPECTED_FORMATS = ['raw', 'qcow2', 'vhd', 'vhdx', 'vmdk', 'vdi', 'iso', 'qed', 'luks'] as const;
export type InspectedFormat = (typeof INSPECTED_FORMATS)[number];

export interface InspectedImage {
  format: InspectedFormat;
  /** Bytes of virtual disk as the image's own header states it (the file size for raw); 0 when unknown. */
  virtualSize: number;
  /** Why the image must not be used; empty when it passed every check. */
  safetyProblems: string[];
  /** Set for a raw disk that starts with a partition table (what Glance's inspector calls gpt). */
  partitionTable: 'gpt' | 'mbr' | null;
}

const SECTOR = 512;
/** Covers every header read from the start of a file, the ISO volume descriptor included. */
const HEAD_BYTES = 64 * 1024;

interface ImageFile {
  size: number;
  head: Buffer;
  read(offset: number, length: number): Promise<Buffer>;
}

type Signature = Exclude<InspectedFormat, 'raw'> | 'gpt';

interface Examination {
  virtualSize: number;
  problems: string[];
  partitionTable?: 'gpt' | 'mbr';
}

interface FormatProbe {
  format: Signature;
  /** Whether the file carries this format's signature. */
  matches(image: ImageFile): boolean;
  /** Virtual size and problems of a file that matched; a thrown Malformed becomes a problem. */
  examine(image: ImageFile): Promise<Examination> | Examination;
}

/** A header that carries a format's signature but cannot be read as that format. */
class Malformed extends Error {}

/** Inspects a file on disk. */
export async function inspectImage(path: string): Promise<InspectedImage> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    return await inspectBytes(size, (offset, length) => readFully(handle, offset, length));
  } finally {
    await handle.close();
  }
}

/**
 * Inspects an image of `size` bytes wherever it is, given a way to read `length` bytes at
 * `offset` (a file, a store's ranged GET): only the few headers each format needs are read.
 */
export async function inspectBytes(size: number, read: (offset: number, length: number) => Promise<Buffer>): Promise<InspectedImage> {
  const clamped = (offset: number, length: number) => {
    const wanted = Math.max(0, Math.min(length, size - offset));
    return wanted === 0 ? Promise.resolve(Buffer.alloc(0)) : read(offset, wanted);
  };
  const image: ImageFile = { size, head: await clamped(0, HEAD_BYTES), read: clamped };
  const found: (Examination & { format: Signature })[] = [];
  for (const probe of PROBES) {
    if (probe.matches(image)) found.push({ format: probe.format, ...(await examined(probe, image)) });
  }
  return verdict(found, image.size);
}

/**
 * Refuses, with the 415 Glance answers an upload with, an image that failed a safety check or
 * whose content is not its disk_format. As in Glance, disk_format=raw may carry any content that
 * passes its own format's checks, and formats without a signature (ami, ari, aki, ploop) accept
 * content that looks like nothing else.
 */
export function assertSafe(inspected: InspectedImage, declaredDiskFormat: string): void {
  assertNoProblems(inspected);
  const content = glanceName(inspected);
  const agrees =
    content === declaredDiskFormat ||
    declaredDiskFormat === 'raw' ||
    (content === 'raw' && !GLANCE_INSPECTABLE.has(declaredDiskFormat));
  if (!agrees) throw mismatch(inspected, declaredDiskFormat);
}

/**
 * The image_conversion plugin's stricter rule: the content must be exactly the declared format
 * (a partitioned raw disk counts as raw), since qemu-img is about to read it as that format.
 */
export function assertExactFormat(inspected: InspectedImage, declaredDiskFormat: string): void {
  assertNoProblems(inspected);
  if (inspected.format !== declaredDiskFormat) throw mismatch(inspected, declaredDiskFormat);
}

/** The disk_formats Glance's inspector has a signature for (its name for a partitioned disk is gpt). */
const GLANCE_INSPECTABLE = new Set<string>([...INSPECTED_FORMATS, 'gpt']);

function glanceName(inspected: InspectedImage): string {
  return inspected.partitionTable ? 'gpt' : inspected.format;
}

function assertNoProblems(inspected: InspectedImage): void {
  if (inspected.safetyProblems.length > 0) {
    throw new GlimpseError('unsupported_media_type', `Image failed safety checks: ${inspected.safetyProblems.join('; ')}`);
  }
}

function mismatch(inspected: InspectedImage, declared: string): GlimpseError {
  const content = inspected.partitionTable ? `raw with ${inspected.partitionTable.toUpperCase()} partition table` : inspected.format;
  return new GlimpseError('unsupported_media_type', `Image disk_format ${declared} does not match its content, which is ${content}`);
}

async function readFully(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

async function examined(probe: FormatProbe, image: ImageFile): Promise<Examination> {
  try {
    return await probe.examine(image);
  } catch (error) {
    if (error instanceof Malformed) return { virtualSize: 0, problems: [error.message] };
    throw error;
  }
}

function verdict(found: (Examination & { format: Signature })[], fileSize: number): InspectedImage {
  const formats = found.map((match) => match.format);
  // A bootable ISO may carry a GPT boot sector in front; Glance accepts that pair as an ISO.
  const bootableIso = formats.length === 2 && formats.includes('iso') && formats.includes('gpt');
  const chosen = bootableIso ? found.filter((match) => match.format === 'iso') : found;
  if (chosen.length === 0) return { format: 'raw', virtualSize: fileSize, safetyProblems: [], partitionTable: null };

  const [first] = chosen;
  const problems = [...first.problems];
  if (chosen.length > 1) problems.unshift(`content matches more than one format (${formats.join(', ')})`);
  if (!Number.isSafeInteger(first.virtualSize)) problems.push(`${first.format} header states an impossible virtual size`);
  if (first.format === 'gpt') {
    return { format: 'raw', virtualSize: fileSize, safetyProblems: problems, partitionTable: first.partitionTable ?? 'mbr' };
  }
  return { format: first.format, virtualSize: first.virtualSize, safetyProblems: problems, partitionTable: null };
}

function startsWith(buffer: Buffer, magic: Buffer, at = 0): boolean {
  return buffer.length >= at + magic.length && buffer.subarray(at, at + magic.length).equals(magic);
}

function isZero(buffer: Buffer): boolean {
  return buffer.every((byte) => byte === 0);
}

function requireBytes(buffer: Buffer, length: number, what: string): void {
  if (buffer.length < length) throw new Malformed(`${what} is truncated`);
}

// qcow2: https://gitlab.com/qemu-project/qemu/-/blob/master/docs/interop/qcow2.txt
const QCOW2_MAGIC = Buffer.from('QFI\xfb', 'latin1');
const QCOW2_HEADER_BYTES: Record<number, number> = { 2: 72, 3: 104 };
const QCOW2_DATA_FILE = 1n << 2n;
/** dirty, corrupt, external data file, compression type: the incompatible features Glance knows. */
const QCOW2_KNOWN_INCOMPATIBLE = 0b1111n;

const qcow2: FormatProbe = {
  format: 'qcow2',
  matches: (image) => startsWith(image.head, QCOW2_MAGIC),
  examine({ head }) {
    requireBytes(head, 32, 'qcow2 header');
    const version = head.readUInt32BE(4);
    requireBytes(head, QCOW2_HEADER_BYTES[version] ?? 32, 'qcow2 header');
    const problems: string[] = [];
    if (head.readBigUInt64BE(8) !== 0n) problems.push('qcow2 image has a backing file');
    if (version === 3) {
      const features = head.readBigUInt64BE(72);
      if (features & QCOW2_DATA_FILE) problems.push('qcow2 image has an external data file');
      const unknown = features & ~QCOW2_KNOWN_INCOMPATIBLE;
      if (unknown) problems.push(`qcow2 image has unknown incompatible features (0x${unknown.toString(16)})`);
    } else if (version !== 2) {
      problems.push(`qcow2 version ${version} is not supported`);
    }
    return { virtualSize: Number(head.readBigUInt64BE(24)), problems };
  },
};

// VHD (qemu's vpc): a 512-byte big-endian footer, copied to the start of a dynamic disk.
const VHD_MAGIC = Buffer.from('conectix');
const VHD_FIXED = 2;
const VHD_DYNAMIC = 3;
const VHD_DIFFERENCING = 4;

const vhd: FormatProbe = {
  format: 'vhd',
  matches: (image) => startsWith(image.head, VHD_MAGIC),
  examine({ head }) {
    requireBytes(head, SECTOR, 'vhd footer');
    const footer = head.subarray(0, SECTOR);
    const problems: string[] = [];
    const type = footer.readUInt32BE(60);
    if (type === VHD_DIFFERENCING) problems.push('vhd image is a differencing disk (it names a parent file)');
    else if (type !== VHD_FIXED && type !== VHD_DYNAMIC) problems.push(`vhd disk type ${type} is neither fixed nor dynamic`);
    if (vhdChecksum(footer) !== footer.readUInt32BE(64)) problems.push('vhd footer checksum is wrong');
    return { virtualSize: Number(footer.readBigUInt64BE(40)), problems };
  },
};

/** The ones' complement of the byte sum, the checksum field itself left out. */
function vhdChecksum(footer: Buffer): number {
  let sum = 0;
  footer.forEach((byte, index) => {
    if (index < 64 || index >= 68) sum += byte;
  });
  return ~sum >>> 0;
}

// VHDX: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-vhdx
const VHDX_MAGIC = Buffer.from('vhdxfile');
const VHDX_REGION_TABLE = 192 * 1024;
const VHDX_REGION_SIGNATURE = Buffer.from('regi');
const VHDX_METADATA_SIGNATURE = Buffer.from('metadata');
const VHDX_MAX_ENTRIES = 2047;
const VHDX_ENTRY = 32;
const VHDX_TABLE_BYTES = VHDX_ENTRY * (VHDX_MAX_ENTRIES + 1);
const VHDX_HAS_PARENT = 0b10;

/** A GUID as VHDX stores it: the first three fields little-endian. */
function guid(text: string): Buffer {
  const bytes = Buffer.from(text.replace(/-/g, ''), 'hex');
  bytes.subarray(0, 4).reverse();
  bytes.subarray(4, 6).reverse();
  bytes.subarray(6, 8).reverse();
  return bytes;
}

const VHDX_METADATA_REGION = guid('8B7CA206-4790-4B9A-B8FE-575F050F886E');
const VHDX_FILE_PARAMETERS = guid('CAA16737-FA36-4D43-B3B6-33F0AA44E76B');
const VHDX_VIRTUAL_DISK_SIZE = guid('2FA54224-CD1B-4876-B211-5DBED83BF4B8');

const vhdx: FormatProbe = {
  format: 'vhdx',
  matches: (image) => startsWith(image.head, VHDX_MAGIC),
  async examine(image) {
    const metadataOffset = vhdxMetadataOffset(await image.read(VHDX_REGION_TABLE, VHDX_TABLE_BYTES));
    const table = await image.read(metadataOffset, VHDX_TABLE_BYTES);
    requireBytes(table, VHDX_ENTRY, 'vhdx metadata table');
    if (!startsWith(table, VHDX_METADATA_SIGNATURE)) throw new Malformed('vhdx metadata table has no signature');
    const item = (id: Buffer, length: number, name: string): Promise<Buffer> => vhdxItem(image, table, metadataOffset, id, length, name);
    const parameters = await item(VHDX_FILE_PARAMETERS, 8, 'file parameters');
    const size = await item(VHDX_VIRTUAL_DISK_SIZE, 8, 'virtual disk size');
    const problems = parameters.readUInt32LE(4) & VHDX_HAS_PARENT ? ['vhdx image is a differencing disk (it names a parent file)'] : [];
    return { virtualSize: Number(size.readBigUInt64LE(0)), problems };
  },
};

function vhdxMetadataOffset(regions: Buffer): number {
  requireBytes(regions, 16, 'vhdx region table');
  if (!startsWith(regions, VHDX_REGION_SIGNATURE)) throw new Malformed('vhdx region table has no signature');
  const count = regions.readUInt32LE(8);
  if (count > VHDX_MAX_ENTRIES) throw new Malformed(`vhdx region table has ${count} entries`);
  for (let index = 0; index < count; index++) {
    const entry = regions.subarray(16 + index * VHDX_ENTRY, 16 + (index + 1) * VHDX_ENTRY);
    requireBytes(entry, VHDX_ENTRY, 'vhdx region table');
    if (entry.subarray(0, 16).equals(VHDX_METADATA_REGION)) return Number(entry.readBigUInt64LE(16));
  }
  throw new Malformed('vhdx image has no metadata region');
}

async function vhdxItem(image: ImageFile, table: Buffer, tableOffset: number, id: Buffer, length: number, name: string): Promise<Buffer> {
  const count = table.readUInt16LE(10);
  if (count > VHDX_MAX_ENTRIES) throw new Malformed(`vhdx metadata table has ${count} entries`);
  for (let index = 1; index <= count; index++) {
    const entry = table.subarray(index * VHDX_ENTRY, (index + 1) * VHDX_ENTRY);
    requireBytes(entry, VHDX_ENTRY, 'vhdx metadata table');
    if (!entry.subarray(0, 16).equals(id)) continue;
    const value = await image.read(tableOffset + entry.readUInt32LE(16), length);
    requireBytes(value, length, `vhdx ${name}`);
    return value;
  }
  throw new Malformed(`vhdx metadata has no ${name}`);
}

// VMDK: https://www.vmware.com/app/vmdk/?src=vmdk. Either a sparse extent whose 512-byte
// little-endian header points at an embedded text descriptor, or a bare text descriptor file.
const VMDK_MAGIC = Buffer.from('KDMV');
const VMDK_SPARSE_HEADER_BYTES = 64;
/** qemu reads an embedded descriptor from sector 1 only, and at most 1 MiB - 1 of it. */
const VMDK_DESCRIPTOR_OFFSET = SECTOR;
const VMDK_DESCRIPTOR_MAX = 1024 * 1024 - 1;
const VMDK_GD_AT_END = 0xffffffffffffffffn;
const VMDK_FOOTER_BYTES = 3 * SECTOR;
const VMDK_MARKER_FOOTER = 3;
/** Glance's vmdk_allowed_types default: the single-file variants with a sparse header. */
const VMDK_SAFE_TYPES = ['monolithicSparse', 'streamOptimized'];
const VMDK_EXTENT_ACCESS = ['rw', 'rdonly', 'noaccess'];

const vmdk: FormatProbe = {
  format: 'vmdk',
  matches: ({ head }) => startsWith(head, VMDK_MAGIC) || isDescriptorFile(head),
  examine: (image) => (startsWith(image.head, VMDK_MAGIC) ? examineSparseVmdk(image) : examineVmdkDescriptorFile(image)),
};

function isDescriptorFile(head: Buffer): boolean {
  return (
    head.length >= VMDK_SPARSE_HEADER_BYTES &&
    head.subarray(0, SECTOR).every(isTextByte) &&
    head.toString('latin1').toLowerCase().includes('createtype="')
  );
}

/** Printable ASCII or whitespace, as Glance judges a descriptor file's first sector. */
function isTextByte(byte: number): boolean {
  return (byte >= 0x09 && byte <= 0x0d) || (byte >= 0x1c && byte <= 0x7e);
}

async function examineSparseVmdk(image: ImageFile): Promise<Examination> {
  const { head } = image;
  requireBytes(head, VMDK_SPARSE_HEADER_BYTES, 'vmdk sparse header');
  const version = head.readUInt32LE(4);
  if (version < 1 || version > 3) throw new Malformed(`vmdk version ${version} is not supported`);
  if (head.readBigUInt64LE(28) * BigInt(SECTOR) !== BigInt(VMDK_DESCRIPTOR_OFFSET)) {
    throw new Malformed('vmdk descriptor is not at sector 1');
  }
  const descriptorBytes = Math.min(Number(head.readBigUInt64LE(36)) * SECTOR, VMDK_DESCRIPTOR_MAX);
  const descriptor = descriptorText(await image.read(VMDK_DESCRIPTOR_OFFSET, descriptorBytes));
  const problems = descriptorProblems(descriptor);
  let capacity = head.readBigUInt64LE(12);
  // With no capacity qemu opens the embedded descriptor as a descriptor file and follows its extents.
  if (capacity === 0n) problems.push('vmdk sparse header has no capacity, so qemu would follow the extents of its descriptor');
  if (head.readBigUInt64LE(56) === VMDK_GD_AT_END) {
    const footer = await image.read(image.size - VMDK_FOOTER_BYTES, VMDK_FOOTER_BYTES);
    problems.push(...vmdkFooterProblems(head, footer));
    // qemu takes the footer's header over the first one.
    if (footer.length === VMDK_FOOTER_BYTES) capacity = footer.readBigUInt64LE(SECTOR + 12);
  }
  const safe = descriptor !== null && VMDK_SAFE_TYPES.includes(createType(descriptor) ?? '');
  return { virtualSize: safe ? Number(capacity) * SECTOR : 0, problems };
}

async function examineVmdkDescriptorFile(image: ImageFile): Promise<Examination> {
  const descriptor = descriptorText(await image.read(0, VMDK_DESCRIPTOR_MAX));
  return {
    virtualSize: 0,
    problems: ['vmdk is a bare descriptor, so every extent it names is another file', ...descriptorProblems(descriptor)],
  };
}

/** The descriptor up to its NUL padding, or null when that is not ASCII text. */
function descriptorText(bytes: Buffer): string | null {
  const end = bytes.indexOf(0);
  const text = bytes.subarray(0, end === -1 ? bytes.length : end);
  return text.every((byte) => byte < 0x80) ? text.toString('latin1') : null;
}

function createType(descriptor: string): string | null {
  const match = /createtype="([^"]{0,63})"/i.exec(descriptor);
  return match ? match[1] : null;
}

/** Every line must be one Glance understands; extents may not name paths. */
function descriptorProblems(descriptor: string | null): string[] {
  if (descriptor === null) return ['vmdk descriptor is not ASCII text'];
  const problems: string[] = [];
  const type = createType(descriptor);
  if (type === null) problems.push('vmdk descriptor has no createType');
  else if (!VMDK_SAFE_TYPES.some((safe) => safe.toLowerCase() === type.toLowerCase())) {
    problems.push(`vmdk createType ${type} is not one of ${VMDK_SAFE_TYPES.join(', ')}`);
  }
  // qemu looks the key up case-sensitively and Glance case-insensitively; a second spelling could
  // show each of them a different type.
  if ((descriptor.match(/createtype/gi) ?? []).length > 1) problems.push('vmdk descriptor states its createType more than once');
  if (/parentfilenamehint/i.test(descriptor)) problems.push('vmdk descriptor names a parent file');

  const lines = descriptor.split('\n').map((line) => line.trim().toLowerCase());
  const unknown = lines.find((line) => !isDescriptorLine(line));
  if (unknown !== undefined) problems.push(`vmdk descriptor has an unrecognised line: ${unknown.slice(0, 80)}`);
  const extents = lines.filter((line) => VMDK_EXTENT_ACCESS.includes(line.split(' ')[0]));
  if (extents.length === 0) problems.push('vmdk descriptor names no extents');
  const outside = extents.find((line) => line.includes('/'));
  if (outside !== undefined) problems.push(`vmdk extent names a file outside the image: ${outside.slice(0, 80)}`);
  return problems;
}

function isDescriptorLine(line: string): boolean {
  if (line === '' || line.startsWith('#') || line.startsWith('ddb')) return true;
  if (line.includes('=') && !line.split('=')[0].includes(' ')) return true;
  return VMDK_EXTENT_ACCESS.includes(line.split(' ')[0]);
}

/** A stream-optimised footer must repeat the header and sit between its two markers. */
function vmdkFooterProblems(head: Buffer, footer: Buffer): string[] {
  if (footer.length < VMDK_FOOTER_BYTES) return ['vmdk footer is truncated'];
  const marker = footer.subarray(0, SECTOR);
  const copy = footer.subarray(SECTOR, 2 * SECTOR);
  const endOfStream = footer.subarray(2 * SECTOR);
  const problems: string[] = [];
  if (!startsWith(copy, VMDK_MAGIC) || copy.readUInt32LE(4) !== head.readUInt32LE(4)) problems.push('vmdk footer does not match its header');
  else if (!copy.subarray(28, 44).equals(head.subarray(28, 44))) problems.push('vmdk footer names a different descriptor');
  else if (copy.readBigUInt64LE(56) === VMDK_GD_AT_END) problems.push('vmdk footer points at another footer');
  if (marker.readUInt32LE(8) !== 0 || marker.readUInt32LE(12) !== VMDK_MARKER_FOOTER || !isZero(marker.subarray(16))) {
    problems.push('vmdk footer marker is invalid');
  }
  if (!isZero(endOfStream)) problems.push('vmdk end-of-stream marker is invalid');
  return problems;
}

// VDI (VirtualBox): a 512-byte little-endian header, signature at 0x40.
const VDI_SIGNATURE = 0xbeda107f;
const VDI_VERSION_1_1 = 0x00010001;
const VDI_DYNAMIC = 1;
const VDI_STATIC = 2;

const vdi: FormatProbe = {
  format: 'vdi',
  matches: ({ head }) => head.length >= 0x44 && head.readUInt32LE(0x40) === VDI_SIGNATURE,
  examine({ head }) {
    requireBytes(head, SECTOR, 'vdi header');
    const problems: string[] = [];
    const version = head.readUInt32LE(0x44);
    if (version !== VDI_VERSION_1_1) problems.push(`vdi version 0x${version.toString(16)} is not supported`);
    const type = head.readUInt32LE(0x4c);
    if (type !== VDI_DYNAMIC && type !== VDI_STATIC) problems.push(`vdi image type ${type} is neither dynamic nor static`);
    if (head.readUInt32LE(0x168) !== SECTOR) problems.push('vdi sector size is not 512');
    const virtualSize = head.readBigUInt64LE(0x170);
    const capacity = BigInt(head.readUInt32LE(0x178)) * BigInt(head.readUInt32LE(0x180));
    if (virtualSize > capacity) problems.push('vdi disk size is larger than its blocks');
    if (!isZero(head.subarray(0x1a8, 0x1c8))) problems.push('vdi image is a differencing image (it names a parent)');
    return { virtualSize: Number(virtualSize), problems };
  },
};

// ISO 9660 / UDF: 16 sectors of system area, then a 2 KiB volume descriptor.
const ISO_DESCRIPTOR_OFFSET = 32 * 1024;
const ISO_DESCRIPTOR_BYTES = 2 * 1024;
const ISO_IDENTIFIERS = ['CD001', 'NSR02', 'NSR03'];
const ISO_PRIMARY_VOLUME = 1;

const iso: FormatProbe = {
  format: 'iso',
  matches({ head }) {
    if (head.length < ISO_DESCRIPTOR_OFFSET + ISO_DESCRIPTOR_BYTES) return false;
    return ISO_IDENTIFIERS.includes(head.toString('latin1', ISO_DESCRIPTOR_OFFSET + 1, ISO_DESCRIPTOR_OFFSET + 6));
  },
  examine({ head }) {
    const descriptor = head.subarray(ISO_DESCRIPTOR_OFFSET, ISO_DESCRIPTOR_OFFSET + ISO_DESCRIPTOR_BYTES);
    if (descriptor[0] !== ISO_PRIMARY_VOLUME) return { virtualSize: 0, problems: [] };
    // Both fields are stored twice, little-endian then big-endian.
    return { virtualSize: descriptor.readUInt32LE(80) * descriptor.readUInt16LE(128), problems: [] };
  },
};

// QED: recognised only to be refused, as Glance does.
const QED_MAGIC = Buffer.from('QED\0', 'latin1');

const qed: FormatProbe = {
  format: 'qed',
  matches: ({ head }) => startsWith(head, QED_MAGIC),
  examine({ head }) {
    requireBytes(head, 56, 'qed header');
    return { virtualSize: Number(head.readBigUInt64LE(48)), problems: ['qed images are not allowed'] };
  },
};

// LUKS v1: a big-endian header, then the encrypted payload.
const LUKS_MAGIC = Buffer.from('LUKS\xba\xbe', 'latin1');

const luks: FormatProbe = {
  format: 'luks',
  matches: ({ head }) => startsWith(head, LUKS_MAGIC),
  examine({ head, size }) {
    requireBytes(head, 108, 'luks header');
    const version = head.readUInt16BE(6);
    const problems = version === 1 ? [] : [`luks version ${version} is not supported`];
    return { virtualSize: Math.max(0, size - head.readUInt32BE(104) * SECTOR), problems };
  },
};

// MBR, and GPT behind its protective MBR: https://uefi.org/specs/UEFI/2.10/05_GUID_Partition_Table_Format.html
const MBR_SIGNATURE = 0xaa55;
const MBR_PARTITIONS = 446;
const MBR_GPT_PROTECTIVE = 0xee;
const FAT_MEDIA_FIXED_DISK = 0xf8;

const gpt: FormatProbe = {
  format: 'gpt',
  matches: ({ head }) => head.length >= SECTOR && head.readUInt16LE(510) === MBR_SIGNATURE && !isFatBootSector(head),
  examine: ({ head, size }) => ({ virtualSize: size, ...partitionTable(head) }),
};

/** A FAT volume boot record carries the MBR signature too; two FATs on a fixed disk give it away. */
function isFatBootSector(head: Buffer): boolean {
  return head[0x10] === 2 && head[0x15] === FAT_MEDIA_FIXED_DISK;
}

function partitionTable(head: Buffer): { problems: string[]; partitionTable: 'gpt' | 'mbr' } {
  const used: number[] = [];
  let protective = false;
  const problems: string[] = [];
  for (let index = 0; index < 4; index++) {
    const entry = head.subarray(MBR_PARTITIONS + index * 16, MBR_PARTITIONS + (index + 1) * 16);
    if (entry[0] !== 0x00 && entry[0] !== 0x80) problems.push(`MBR partition ${index} has an invalid boot flag`);
    const type = entry[4];
    if (type !== 0) used.push(index);
    if (type !== MBR_GPT_PROTECTIVE) continue;
    protective = true;
    if (entry[1] !== 0x00 || entry[2] !== 0x02 || entry[3] !== 0x00) problems.push('GPT protective MBR has an invalid start CHS');
    if (entry.readUInt32LE(8) !== 1) problems.push('GPT protective MBR has an invalid start LBA');
  }
  if (protective && used.join() !== '0') problems.push('GPT protective MBR defines extra partitions');
  if (used.length === 0) problems.push('MBR defines no partitions');
  return { problems, partitionTable: protective ? 'gpt' : 'mbr' };
}

/** In Glance's order; a file may match several, which is refused unless it is an ISO with a GPT. */
const PROBES: FormatProbe[] = [qcow2, vhd, vhdx, vmdk, vdi, qed, iso, luks, gpt];
