import { isGlimpseError } from '@glimpse/contracts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectImage } from '../formats/format-inspector';
import { type ConversionInput, type QemuImgOptions, convertImage } from './image-conversion';

// Real conversions by qemu-img and qemu-io (Debian: qemu-utils); the tests fail by name without them.
const MiB = 1024 * 1024;
let dir: string;
let workDir: string;

function run(tool: 'qemu-img' | 'qemu-io', ...args: string[]): string {
  try {
    return execFileSync(tool, args, { cwd: dir, encoding: 'utf8' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`these tests need ${tool}: apt-get install qemu-utils`);
    throw error;
  }
}

function path(name: string): string {
  return join(dir, name);
}

function qemuInfo(file: string): { format: string; 'virtual-size': number } {
  return JSON.parse(run('qemu-img', 'info', '--output=json', file)) as { format: string; 'virtual-size': number };
}

async function refusal(input: ConversionInput, options?: QemuImgOptions): Promise<{ code: string; message: string }> {
  const error = await convertImage(input, options).then(
    () => new Error('expected the conversion to be refused'),
    (thrown: unknown) => thrown,
  );
  if (!isGlimpseError(error)) throw error;
  return { code: error.code, message: error.message };
}

/** A binary that cannot run: a refusal that comes back instead of "not installed" never reached qemu-img. */
const NO_QEMU: QemuImgOptions = { binary: '/nonexistent/qemu-img' };

const pattern = Buffer.from(Array.from({ length: 2 * MiB }, (_, index) => index % 251));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'glimpse-conversion-'));
  run('qemu-img', 'create', '-q', '-f', 'qcow2', 'written.qcow2', '4M');
  run('qemu-io', '-f', 'qcow2', '-c', 'write -P 0xab 0 1M', 'written.qcow2');
  run('qemu-img', 'create', '-q', '-f', 'qcow2', 'base.qcow2', '4M');
  run('qemu-img', 'create', '-q', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', 'overlay.qcow2');
  run('qemu-img', 'create', '-q', '-f', 'qcow2', '-o', 'data_file=external.data', 'data-file.qcow2', '4M');
  run('qemu-img', 'create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', 'flat.vmdk', '4M');
  writeFileSync(path('pattern.raw'), pattern);
}, 30_000);

beforeEach(() => {
  workDir = mkdtempSync(join(dir, 'work-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('convertImage', () => {
  it('converts qcow2 to raw with the guest bytes intact', async () => {
    const converted = await convertImage({ path: path('written.qcow2'), sourceFormat: 'qcow2', outputFormat: 'raw', workDir });

    expect(converted).toEqual({ path: join(workDir, 'written.qcow2.raw'), format: 'raw', virtualSize: 4 * MiB });
    const bytes = readFileSync(converted.path);
    expect(bytes.length).toBe(4 * MiB);
    expect(bytes.subarray(0, MiB).every((byte) => byte === 0xab)).toBe(true);
    expect(bytes.subarray(MiB).every((byte) => byte === 0)).toBe(true);
    expect(qemuInfo(converted.path)).toMatchObject({ format: 'raw', 'virtual-size': 4 * MiB });
    expect(readdirSync(workDir)).toEqual(['written.qcow2.raw']);
  }, 20_000);

  it('converts raw to qcow2 and back to the same bytes', async () => {
    const qcow2 = await convertImage({ path: path('pattern.raw'), sourceFormat: 'raw', outputFormat: 'qcow2', workDir });
    expect(await inspectImage(qcow2.path)).toMatchObject({ format: 'qcow2', virtualSize: 2 * MiB, safetyProblems: [] });
    const back = mkdtempSync(join(dir, 'back-'));
    const raw = await convertImage({ path: qcow2.path, sourceFormat: 'qcow2', outputFormat: 'raw', workDir: back });
    expect(readFileSync(raw.path).equals(pattern)).toBe(true);
  }, 20_000);

  it('converts qcow2 to a vmdk that passes its own inspection', async () => {
    const converted = await convertImage({ path: path('written.qcow2'), sourceFormat: 'qcow2', outputFormat: 'vmdk', workDir });
    expect(converted).toEqual({ path: join(workDir, 'written.qcow2.vmdk'), format: 'vmdk', virtualSize: 4 * MiB });
    expect(await inspectImage(converted.path)).toMatchObject({ format: 'vmdk', virtualSize: 4 * MiB, safetyProblems: [] });
  }, 20_000);

  it.each([
    ['vmdk', 'vmdk'],
    ['vhdx', 'vhdx'],
    ['vdi', 'vdi'],
    ['vhd', 'vpc'],
  ])('converts %s (qemu-img -f %s) to raw', async (format, driver) => {
    const source = path(`disk.${format}`);
    run('qemu-img', 'create', '-q', '-f', driver, source, '4M');
    const converted = await convertImage({ path: source, sourceFormat: format, outputFormat: 'raw', workDir });
    expect(converted).toEqual({ path: join(workDir, `disk.${format}.raw`), format: 'raw', virtualSize: qemuInfo(source)['virtual-size'] });
  }, 20_000);

  it.each([
    ['a qcow2 with a backing file', 'overlay.qcow2', 'qcow2', 'qcow2 image has a backing file'],
    ['a qcow2 with an external data file', 'data-file.qcow2', 'qcow2', 'qcow2 image has an external data file'],
    ['a monolithicFlat vmdk', 'flat.vmdk', 'vmdk', 'vmdk is a bare descriptor'],
  ])('refuses %s before qemu-img runs', async (_, name, format, problem) => {
    const refused = await refusal({ path: path(name), sourceFormat: format, outputFormat: 'raw', workDir }, NO_QEMU);
    expect(refused.code).toBe('unsupported_media_type');
    expect(refused.message).toContain(problem);
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('refuses content that is not exactly the declared format, even raw that an upload would accept', async () => {
    expect(await refusal({ path: path('written.qcow2'), sourceFormat: 'raw', outputFormat: 'qcow2', workDir }, NO_QEMU)).toEqual({
      code: 'unsupported_media_type',
      message: 'Image disk_format raw does not match its content, which is qcow2',
    });
    expect((await refusal({ path: path('pattern.raw'), sourceFormat: 'qcow2', outputFormat: 'raw', workDir }, NO_QEMU)).message).toBe(
      'Image disk_format qcow2 does not match its content, which is raw',
    );
  });

  it('keeps an ISO as it is, without qemu-img', async () => {
    const image = Buffer.alloc(20 * 2048);
    image.write('\x01CD001\x01', 0x8000, 'latin1');
    image.writeUInt32LE(20, 0x8000 + 80);
    image.writeUInt16LE(2048, 0x8000 + 128);
    writeFileSync(path('disk.iso'), image);
    expect(await convertImage({ path: path('disk.iso'), sourceFormat: 'iso', outputFormat: 'raw', workDir }, NO_QEMU)).toEqual({
      path: path('disk.iso'),
      format: 'iso',
      virtualSize: 20 * 2048,
    });
  });

  it('leaves an image already in the output format where it is', async () => {
    expect(await convertImage({ path: path('written.qcow2'), sourceFormat: 'qcow2', outputFormat: 'qcow2', workDir })).toEqual({
      path: path('written.qcow2'),
      format: 'qcow2',
      virtualSize: 4 * MiB,
    });
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('deletes the output when the converted image turns out to hide another format', async () => {
    // The guest disk of nested.qcow2 is itself a qcow2 file, so its raw conversion reads as qcow2.
    run('qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', 'base.qcow2', 'nested.qcow2');
    const refused = await refusal({ path: path('nested.qcow2'), sourceFormat: 'qcow2', outputFormat: 'raw', workDir });
    expect(refused).toEqual({ code: 'unsupported_media_type', message: 'Image conversion refused: the converted image is qcow2, not a safe raw' });
    expect(readdirSync(workDir)).toEqual([]);
  }, 20_000);

  it('stops qemu-img at its time limit and deletes the partial output', async () => {
    const refused = await refusal({ path: path('written.qcow2'), sourceFormat: 'qcow2', outputFormat: 'raw', workDir }, { convertTimeoutMs: 1 });
    expect(refused).toEqual({ code: 'internal', message: 'qemu-img convert exceeded its time limit of 0.001 s and was stopped' });
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('reports a qemu-img failure with its own words', async () => {
    const unwritable = join(workDir, 'missing', 'deeper');
    const refused = await refusal({ path: path('written.qcow2'), sourceFormat: 'qcow2', outputFormat: 'raw', workDir: unwritable });
    expect(refused.code).toBe('internal');
    expect(refused.message).toMatch(/^qemu-img convert failed: qemu-img: .*No such file or directory/);
  }, 20_000);

  it('names the Debian package when qemu-img is not installed', async () => {
    expect(await refusal({ path: path('written.qcow2'), sourceFormat: 'qcow2', outputFormat: 'raw', workDir }, NO_QEMU)).toEqual({
      code: 'unavailable',
      message: "qemu-img is not installed (/nonexistent/qemu-img was not found): install Debian's qemu-utils package",
    });
  });

  it('refuses an output format Glance does not offer', async () => {
    expect(await refusal({ path: path('written.qcow2'), sourceFormat: 'qcow2', outputFormat: 'vdi', workDir }, NO_QEMU)).toEqual({
      code: 'internal',
      message: '[image_conversion] output_format=vdi is not one of raw, qcow2, vmdk',
    });
  });
});
