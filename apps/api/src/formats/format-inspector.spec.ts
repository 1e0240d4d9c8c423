import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failure } from '../testing/thrown';
import { type InspectedImage, assertExactFormat, assertSafe, inspectImage } from './format-inspector';

// Real images made by qemu-img (Debian: qemu-utils); the tests fail by name without it.
const MiB = 1024 * 1024;
let dir: string;

function qemuImg(...args: string[]): string {
  try {
    return execFileSync('qemu-img', args, { cwd: dir, encoding: 'utf8' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('these tests need qemu-img: apt-get install qemu-utils');
    throw error;
  }
}

function path(name: string): string {
  return join(dir, name);
}

function patch(name: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path(name), 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

function copy(from: string, to: string): string {
  copyFileSync(path(from), path(to));
  return to;
}

function u64le(value: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(value);
  return bytes;
}

const inspect = (name: string): Promise<InspectedImage> => inspectImage(path(name));

/** A copy of a monolithicSparse vmdk whose embedded descriptor is replaced by `text`. */
function vmdkWithDescriptor(name: string, text: string): string {
  copy('sparse.vmdk', name);
  const sectors = Number(readFileSync(path(name)).readBigUInt64LE(36));
  const descriptor = Buffer.alloc(sectors * 512);
  descriptor.write(text, 'latin1');
  patch(name, 512, descriptor);
  return name;
}

function protectiveMbr(): Buffer {
  const sector = Buffer.alloc(512);
  sector.set([0x00, 0x00, 0x02, 0x00, 0xee, 0xff, 0xff, 0xff], 446);
  sector.writeUInt32LE(1, 446 + 8);
  sector.writeUInt32LE(0xffffffff, 446 + 12);
  sector.writeUInt16LE(0xaa55, 510);
  return sector;
}

function isoImage(name: string, blocks: number, bootSector?: Buffer): string {
  const image = Buffer.alloc(blocks * 2048);
  if (bootSector) bootSector.copy(image);
  const descriptor = image.subarray(0x8000, 0x8800);
  descriptor[0] = 1;
  descriptor.write('CD001', 1, 'latin1');
  descriptor[6] = 1;
  descriptor.writeUInt32LE(blocks, 80);
  descriptor.writeUInt32BE(blocks, 84);
  descriptor.writeUInt16LE(2048, 128);
  descriptor.writeUInt16BE(2048, 130);
  writeFileSync(path(name), image);
  return name;
}

function rawWithMbr(name: string, entries: { type: number; boot?: number; startLba?: number }[]): string {
  const image = Buffer.alloc(MiB);
  image.writeUInt16LE(0xaa55, 510);
  entries.forEach((entry, index) => {
    const at = 446 + index * 16;
    image[at] = entry.boot ?? 0;
    image.set([0x00, 0x02, 0x00], at + 1);
    image[at + 4] = entry.type;
    image.writeUInt32LE(entry.startLba ?? 2048, at + 8);
    image.writeUInt32LE(1024, at + 12);
  });
  writeFileSync(path(name), image);
  return name;
}

function vhdWithType(name: string, type: number): string {
  copy('disk.vhd', name);
  const footer = readFileSync(path(name)).subarray(0, 512);
  footer.writeUInt32BE(type, 60);
  footer.writeUInt32BE(0, 64);
  footer.writeUInt32BE(~footer.reduce((sum, byte) => sum + byte, 0) >>> 0, 64);
  patch(name, 0, footer);
  return name;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'glimpse-inspector-'));
  qemuImg('create', '-q', '-f', 'qcow2', 'disk.qcow2', '10M');
  qemuImg('create', '-q', '-f', 'qcow2', 'base.qcow2', '10M');
  qemuImg('create', '-q', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', 'overlay.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', '-o', 'data_file=external.data', 'data-file.qcow2', '10M');
  qemuImg('create', '-q', '-f', 'qcow2', '-o', 'extended_l2=on', 'extended-l2.qcow2', '10M');
  qemuImg('create', '-q', '-f', 'vmdk', 'sparse.vmdk', '10M');
  qemuImg('create', '-q', '-f', 'vmdk', '-o', 'subformat=streamOptimized', 'stream.vmdk', '10M');
  qemuImg('create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', 'flat.vmdk', '10M');
  qemuImg('create', '-q', '-f', 'vmdk', '-o', 'subformat=twoGbMaxExtentSparse', 'split.vmdk', '10M');
  qemuImg('create', '-q', '-f', 'vhdx', 'disk.vhdx', '10M');
  qemuImg('create', '-q', '-f', 'vdi', 'disk.vdi', '10M');
  qemuImg('create', '-q', '-f', 'vpc', 'disk.vhd', '10M');
  qemuImg('create', '-q', '-f', 'qed', 'disk.qed', '10M');
  qemuImg('create', '-q', '-f', 'raw', 'disk.raw', '3M');
}, 30_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function qemuVirtualSize(name: string): number {
  return (JSON.parse(qemuImg('info', '--output=json', name)) as { 'virtual-size': number })['virtual-size'];
}

describe('inspectImage', () => {
  it.each([
    ['disk.qcow2', 'qcow2'],
    ['sparse.vmdk', 'vmdk'],
    ['stream.vmdk', 'vmdk'],
    ['disk.vhdx', 'vhdx'],
    ['disk.vdi', 'vdi'],
    ['disk.vhd', 'vhd'],
  ])('reads %s as a safe %s with the virtual size qemu-img states', async (name, format) => {
    expect(await inspect(name)).toEqual({ format, virtualSize: qemuVirtualSize(name), safetyProblems: [], partitionTable: null });
  });

  it('reads a file with no signature as raw, its size the virtual size', async () => {
    expect(await inspect('disk.raw')).toEqual({ format: 'raw', virtualSize: 3 * MiB, safetyProblems: [], partitionTable: null });
  });

  describe('qcow2', () => {
    it('refuses a backing file', async () => {
      expect((await inspect('overlay.qcow2')).safetyProblems).toEqual(['qcow2 image has a backing file']);
    });

    it('refuses an external data file', async () => {
      expect((await inspect('data-file.qcow2')).safetyProblems).toEqual(['qcow2 image has an external data file']);
    });

    it('refuses incompatible features Glance does not know, extended L2 entries among them', async () => {
      expect((await inspect('extended-l2.qcow2')).safetyProblems).toEqual(['qcow2 image has unknown incompatible features (0x10)']);
      patch(copy('disk.qcow2', 'feature-bit-40.qcow2'), 72, Buffer.from([0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00]));
      expect((await inspect('feature-bit-40.qcow2')).safetyProblems).toEqual(['qcow2 image has unknown incompatible features (0x10000000000)']);
    });

    it('refuses versions other than 2 and 3', async () => {
      patch(copy('disk.qcow2', 'version-7.qcow2'), 4, Buffer.from([0, 0, 0, 7]));
      expect((await inspect('version-7.qcow2')).safetyProblems).toEqual(['qcow2 version 7 is not supported']);
    });

    it('reads a compat=0.10 (version 2) image', async () => {
      qemuImg('create', '-q', '-f', 'qcow2', '-o', 'compat=0.10', 'v2.qcow2', '5M');
      expect(await inspect('v2.qcow2')).toMatchObject({ format: 'qcow2', virtualSize: 5 * MiB, safetyProblems: [] });
    });

    it('refuses a truncated header', async () => {
      writeFileSync(path('truncated.qcow2'), readFileSync(path('disk.qcow2')).subarray(0, 40));
      expect(await inspect('truncated.qcow2')).toMatchObject({ format: 'qcow2', safetyProblems: ['qcow2 header is truncated'] });
    });

    it('refuses garbage behind the magic', async () => {
      const garbage = Buffer.alloc(4096, 0xa5);
      garbage.write('QFI\xfb', 0, 'latin1');
      writeFileSync(path('garbage.qcow2'), garbage);
      const inspected = await inspect('garbage.qcow2');
      expect(inspected.format).toBe('qcow2');
      expect(inspected.safetyProblems).toContain('qcow2 image has a backing file');
      expect(inspected.safetyProblems).toContain(`qcow2 version ${0xa5a5a5a5} is not supported`);
    });
  });

  describe('vmdk', () => {
    it('refuses a monolithicFlat descriptor, whose extent is another file', async () => {
      expect(await inspect('flat.vmdk')).toEqual({
        format: 'vmdk',
        virtualSize: 0,
        safetyProblems: [
          'vmdk is a bare descriptor, so every extent it names is another file',
          'vmdk createType monolithicFlat is not one of monolithicSparse, streamOptimized',
        ],
        partitionTable: null,
      });
    });

    it('refuses a twoGbMaxExtentSparse descriptor', async () => {
      expect((await inspect('split.vmdk')).safetyProblems).toContain(
        'vmdk createType twoGbMaxExtentSparse is not one of monolithicSparse, streamOptimized',
      );
    });

    it('refuses a bare descriptor even when it claims a safe createType', async () => {
      writeFileSync(path('bare.vmdk'), '# Disk DescriptorFile\nversion=1\ncreateType="monolithicSparse"\nRW 20480 SPARSE "other-image"\n');
      expect((await inspect('bare.vmdk')).safetyProblems).toEqual(['vmdk is a bare descriptor, so every extent it names is another file']);
    });

    it('refuses an embedded extent that names a path', async () => {
      vmdkWithDescriptor('escape.vmdk', 'version=1\ncreateType="monolithicSparse"\nRW 20480 SPARSE "/var/lib/glance/other"\n');
      expect((await inspect('escape.vmdk')).safetyProblems).toEqual([
        'vmdk extent names a file outside the image: rw 20480 sparse "/var/lib/glance/other"',
      ]);
    });

    it('refuses an embedded descriptor qemu would follow, with no capacity and two createTypes', async () => {
      vmdkWithDescriptor(
        'capacity-0.vmdk',
        // qemu 7.2 reads "staged-image" from the image's directory for this file.
        'version=1\nCID=12345678\nparentCID=ffffffff\ncreatetype="monolithicSparse"\ncreateType="monolithicFlat"\nRW 20480 FLAT "staged-image" 0\n',
      );
      patch('capacity-0.vmdk', 12, u64le(0n));
      expect((await inspect('capacity-0.vmdk')).safetyProblems).toEqual([
        'vmdk descriptor states its createType more than once',
        'vmdk sparse header has no capacity, so qemu would follow the extents of its descriptor',
      ]);
    });

    it('refuses a parent file hint', async () => {
      vmdkWithDescriptor('child.vmdk', 'version=1\ncreateType="monolithicSparse"\nparentFileNameHint="base.vmdk"\nRW 20480 SPARSE "child.vmdk"\n');
      expect((await inspect('child.vmdk')).safetyProblems).toEqual(['vmdk descriptor names a parent file']);
    });

    it('refuses descriptor lines it does not understand, and a descriptor with no extent', async () => {
      vmdkWithDescriptor('odd.vmdk', 'version=1\ncreateType="monolithicSparse"\nsomething else entirely\n');
      expect((await inspect('odd.vmdk')).safetyProblems).toEqual([
        'vmdk descriptor has an unrecognised line: something else entirely',
        'vmdk descriptor names no extents',
      ]);
    });

    it('refuses a descriptor that is not where qemu reads it', async () => {
      patch(copy('sparse.vmdk', 'moved.vmdk'), 28, u64le(2n));
      expect(await inspect('moved.vmdk')).toMatchObject({ format: 'vmdk', safetyProblems: ['vmdk descriptor is not at sector 1'] });
    });

    it('checks the footer of a stream whose grain directory is at the end', async () => {
      const header = readFileSync(path('stream.vmdk')).subarray(0, 512);
      const marker = Buffer.alloc(512);
      marker.writeUInt32LE(3, 12);
      const withFooter = (name: string, footer: Buffer, endOfStream = Buffer.alloc(512)): string => {
        const image = Buffer.concat([header, readFileSync(path('stream.vmdk')).subarray(512), marker, footer, endOfStream]);
        image.writeBigUInt64LE(0xffffffffffffffffn, 56);
        writeFileSync(path(name), image);
        return name;
      };
      const footer = Buffer.from(header);
      expect(await inspect(withFooter('footer.vmdk', footer))).toMatchObject({ safetyProblems: [], virtualSize: 10 * MiB });

      const otherDescriptor = Buffer.from(header);
      otherDescriptor.writeBigUInt64LE(2n, 28);
      expect((await inspect(withFooter('footer-descriptor.vmdk', otherDescriptor))).safetyProblems).toEqual([
        'vmdk footer names a different descriptor',
      ]);
      const loop = Buffer.from(header);
      loop.writeBigUInt64LE(0xffffffffffffffffn, 56);
      expect((await inspect(withFooter('footer-loop.vmdk', loop))).safetyProblems).toEqual(['vmdk footer points at another footer']);
      expect((await inspect(withFooter('footer-eos.vmdk', footer, Buffer.alloc(512, 1)))).safetyProblems).toEqual([
        'vmdk end-of-stream marker is invalid',
      ]);
    });
  });

  describe('vhd, vdi, vhdx and qed', () => {
    it('refuses a differencing vhd and an unknown disk type', async () => {
      expect((await inspect(vhdWithType('child.vhd', 4))).safetyProblems).toEqual(['vhd image is a differencing disk (it names a parent file)']);
      expect((await inspect(vhdWithType('odd.vhd', 9))).safetyProblems).toEqual(['vhd disk type 9 is neither fixed nor dynamic']);
    });

    it('refuses a vhd footer whose checksum is wrong', async () => {
      patch(copy('disk.vhd', 'bad-sum.vhd'), 64, Buffer.from([0, 0, 0, 0]));
      expect((await inspect('bad-sum.vhd')).safetyProblems).toEqual(['vhd footer checksum is wrong']);
    });

    it('refuses a vdi that names a parent image', async () => {
      patch(copy('disk.vdi', 'child.vdi'), 0x1b8, Buffer.alloc(16, 0x42));
      expect((await inspect('child.vdi')).safetyProblems).toEqual(['vdi image is a differencing image (it names a parent)']);
    });

    it('refuses a vdi whose disk is larger than its blocks', async () => {
      patch(copy('disk.vdi', 'short.vdi'), 0x170, u64le(BigInt(64 * MiB)));
      expect((await inspect('short.vdi')).safetyProblems).toEqual(['vdi disk size is larger than its blocks']);
    });

    it('refuses a vhdx whose region table is damaged', async () => {
      patch(copy('disk.vhdx', 'damaged.vhdx'), 192 * 1024, Buffer.from('xxxx'));
      expect(await inspect('damaged.vhdx')).toMatchObject({ format: 'vhdx', safetyProblems: ['vhdx region table has no signature'] });
    });

    it('recognises qed only to refuse it', async () => {
      expect(await inspect('disk.qed')).toEqual({
        format: 'qed',
        virtualSize: 10 * MiB,
        safetyProblems: ['qed images are not allowed'],
        partitionTable: null,
      });
    });

    it('refuses LUKS other than version 1', async () => {
      const header = Buffer.alloc(4096);
      header.write('LUKS\xba\xbe', 0, 'latin1');
      header.writeUInt16BE(2, 6);
      writeFileSync(path('disk.luks'), header);
      expect(await inspect('disk.luks')).toMatchObject({ format: 'luks', safetyProblems: ['luks version 2 is not supported'] });
    });
  });

  describe('iso, GPT and MBR', () => {
    it('reads an ISO 9660 volume and its size', async () => {
      expect(await inspect(isoImage('disk.iso', 40))).toEqual({ format: 'iso', virtualSize: 40 * 2048, safetyProblems: [], partitionTable: null });
    });

    it('accepts an ISO with a GPT boot sector in front as an ISO', async () => {
      expect(await inspect(isoImage('hybrid.iso', 40, protectiveMbr()))).toEqual({
        format: 'iso',
        virtualSize: 40 * 2048,
        safetyProblems: [],
        partitionTable: null,
      });
    });

    it('reads a GPT disk as raw', async () => {
      const image = Buffer.alloc(MiB);
      protectiveMbr().copy(image);
      image.write('EFI PART', 512, 'latin1');
      writeFileSync(path('gpt.raw'), image);
      expect(await inspect('gpt.raw')).toEqual({ format: 'raw', virtualSize: MiB, safetyProblems: [], partitionTable: 'gpt' });
    });

    it('reads a classic MBR disk as raw', async () => {
      expect(await inspect(rawWithMbr('mbr.raw', [{ type: 0x83, boot: 0x80 }]))).toEqual({
        format: 'raw',
        virtualSize: MiB,
        safetyProblems: [],
        partitionTable: 'mbr',
      });
    });

    it.each([
      ['a GPT with extra partitions', [{ type: 0xee, startLba: 1 }, { type: 0x83 }], 'GPT protective MBR defines extra partitions'],
      ['a protective entry that does not start at LBA 1', [{ type: 0xee, startLba: 7 }], 'GPT protective MBR has an invalid start LBA'],
      ['an MBR with no partitions', [], 'MBR defines no partitions'],
      ['a bad boot flag', [{ type: 0x83, boot: 0x12 }], 'MBR partition 0 has an invalid boot flag'],
    ])('refuses %s', async (_, entries, problem) => {
      expect((await inspect(rawWithMbr('partitions.raw', entries))).safetyProblems).toEqual([problem]);
    });

    it('does not take a FAT boot sector for an MBR', async () => {
      const image = Buffer.alloc(MiB);
      image[0x10] = 2;
      image[0x15] = 0xf8;
      image.writeUInt16LE(0xaa55, 510);
      writeFileSync(path('fat.raw'), image);
      expect(await inspect('fat.raw')).toMatchObject({ format: 'raw', partitionTable: null, safetyProblems: [] });
    });
  });

  it('refuses content that matches two formats', async () => {
    patch(copy('disk.qcow2', 'qcow2-mbr.qcow2'), 510, Buffer.from([0x55, 0xaa]));
    expect((await inspect('qcow2-mbr.qcow2')).safetyProblems).toEqual(['content matches more than one format (qcow2, gpt)']);
  });
});

describe('assertSafe', () => {
  it('passes an image whose content is its disk_format', async () => {
    expect(() => assertSafe({ format: 'qcow2', virtualSize: 1, safetyProblems: [], partitionTable: null }, 'qcow2')).not.toThrow();
  });

  it('answers 415 naming the failed checks', async () => {
    expect(failure(() => assertSafe({ format: 'qcow2', virtualSize: 1, safetyProblems: ['qcow2 image has a backing file'], partitionTable: null }, 'qcow2'))).toEqual({
      code: 'unsupported_media_type',
      message: 'Image failed safety checks: qcow2 image has a backing file',
    });
  });

  it('answers 415 when the content is another format', async () => {
    expect(failure(() => assertSafe({ format: 'qcow2', virtualSize: 1, safetyProblems: [], partitionTable: null }, 'vmdk'))).toEqual({
      code: 'unsupported_media_type',
      message: 'Image disk_format vmdk does not match its content, which is qcow2',
    });
  });

  it('refuses an ISO uploaded as qcow2 and accepts it as iso', async () => {
    const inspected = await inspect(isoImage('claimed.iso', 20));
    expect(() => assertSafe(inspected, 'iso')).not.toThrow();
    expect(failure(() => assertSafe(inspected, 'qcow2')).message).toBe('Image disk_format qcow2 does not match its content, which is iso');
  });

  it('lets disk_format=raw carry a safe image of another format, as Glance does', async () => {
    expect(() => assertSafe({ format: 'qcow2', virtualSize: 1, safetyProblems: [], partitionTable: null }, 'raw')).not.toThrow();
    expect(failure(() => assertSafe({ format: 'qcow2', virtualSize: 1, safetyProblems: ['qcow2 image has a backing file'], partitionTable: null }, 'raw')).code).toBe(
      'unsupported_media_type',
    );
  });

  it('accepts unrecognised content for formats without a signature, but not a partitioned disk', () => {
    expect(() => assertSafe({ format: 'raw', virtualSize: 1, safetyProblems: [], partitionTable: null }, 'ami')).not.toThrow();
    expect(failure(() => assertSafe({ format: 'raw', virtualSize: 1, safetyProblems: [], partitionTable: 'mbr' }, 'ami')).message).toBe(
      'Image disk_format ami does not match its content, which is raw with MBR partition table',
    );
    expect(failure(() => assertSafe({ format: 'raw', virtualSize: 1, safetyProblems: [], partitionTable: null }, 'qcow2')).code).toBe('unsupported_media_type');
  });
});

describe('assertExactFormat', () => {
  it('refuses disk_format=raw holding another format, and counts a partitioned disk as raw', () => {
    expect(failure(() => assertExactFormat({ format: 'qcow2', virtualSize: 1, safetyProblems: [], partitionTable: null }, 'raw'))).toEqual({
      code: 'unsupported_media_type',
      message: 'Image disk_format raw does not match its content, which is qcow2',
    });
    expect(() => assertExactFormat({ format: 'raw', virtualSize: 1, safetyProblems: [], partitionTable: 'gpt' }, 'raw')).not.toThrow();
  });
});
