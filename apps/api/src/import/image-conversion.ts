import { GlimpseError } from '@glimpse/contracts';
import { type ExecFileException, execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rename, unlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { assertExactFormat, assertSafe, inspectImage } from '../formats/format-inspector';

/** `[image_conversion] output_format` choices, as Glance offers them. */
export const OUTPUT_FORMATS = ['raw', 'qcow2', 'vmdk'] as const;

export interface ConversionInput {
  path: string;
  /** The image's disk_format: the content must be exactly this before qemu-img reads it. */
  sourceFormat: string;
  outputFormat: string;
  /** Where the converted file is written (the staging directory). */
  workDir: string;
}

export interface ConvertedImage {
  path: string;
  format: string;
  virtualSize: number;
}

export interface QemuImgOptions {
  /** The qemu-img executable; a bare name is looked up on PATH. */
  binary?: string;
  /** Wall-clock limit for `qemu-img convert`. */
  convertTimeoutMs?: number;
}

const DEFAULT_CONVERT_TIMEOUT_MS = 60 * 60 * 1000;
/** `qemu-img info` of one image answers in milliseconds; longer means a hostile header. */
const INFO_TIMEOUT_MS = 30 * 1000;
/** qemu-img info's JSON for one image (snapshots included) and convert's error lines fit easily. */
const INFO_OUTPUT_BYTES = 1024 * 1024;
const CONVERT_OUTPUT_BYTES = 64 * 1024;
/** Glance's vmdk_allowed_types default. */
const VMDK_ALLOWED_TYPES = ['monolithicSparse', 'streamOptimized'];
/** Glance's disk_format names where qemu's driver is called something else. */
const QEMU_DRIVER: Record<string, string> = { vhd: 'vpc' };

/**
 * Glance's image_conversion plugin: the staged file is inspected and must be safe and exactly its
 * declared format before qemu-img touches it; qemu-img's own reading of it is checked again; the
 * output is written beside it under a temporary name, inspected, and only then renamed into place.
 * An ISO, or a file already in the output format, is returned as it is.
 */
export async function convertImage(input: ConversionInput, options: QemuImgOptions = {}): Promise<ConvertedImage> {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(input.outputFormat)) {
    throw new GlimpseError('internal', `[image_conversion] output_format=${input.outputFormat} is not one of ${OUTPUT_FORMATS.join(', ')}`);
  }
  // Absolute paths: qemu-img reads "name:..." as a protocol and a leading "-" as an option.
  const source = resolve(input.path);
  const inspected = await inspectImage(source);
  assertSafe(inspected, input.sourceFormat);
  assertExactFormat(inspected, input.sourceFormat);
  if (inspected.format === 'iso') return { path: source, format: 'iso', virtualSize: inspected.virtualSize };

  const qemuImg = new QemuImg(options);
  const sourceInfo = await qemuImg.info(source, input.sourceFormat);
  assertQemuAgrees(sourceInfo, input.sourceFormat);
  if (input.sourceFormat === input.outputFormat) {
    return { path: source, format: input.outputFormat, virtualSize: sourceInfo.virtualSize };
  }

  const workDir = resolve(input.workDir);
  const target = join(workDir, `${basename(source)}.${input.outputFormat}`);
  const partial = join(workDir, `.${basename(source)}.${randomUUID()}.${input.outputFormat}.partial`);
  try {
    await qemuImg.convert(source, input.sourceFormat, partial, input.outputFormat);
    const virtualSize = await checkedOutput(qemuImg, partial, input.outputFormat, sourceInfo.virtualSize);
    await rename(partial, target);
    return { path: target, format: input.outputFormat, virtualSize };
  } catch (error) {
    await unlink(partial).catch(() => undefined);
    throw error;
  }
}

interface QemuInfo {
  format: string;
  virtualSize: number;
  backingFile: string | null;
  dataFile: string | null;
  createType: string | null;
}

/** The checks Glance makes on qemu-img's own reading of the source. */
function assertQemuAgrees(info: QemuInfo, sourceFormat: string): void {
  if (info.format !== sourceFormat) refuse(`qemu-img reads the ${sourceFormat} image as ${info.format}`);
  if (info.backingFile !== null) refuse('qemu-img finds a backing file');
  if (info.dataFile !== null) refuse('qemu-img finds an external data file');
  if (info.format === 'vmdk' && !VMDK_ALLOWED_TYPES.includes(info.createType ?? '')) {
    refuse(`qemu-img finds vmdk createType ${info.createType ?? '(none)'}, not one of ${VMDK_ALLOWED_TYPES.join(', ')}`);
  }
}

/**
 * A converted file must be what was asked for and nothing else: a raw output that turns out to be
 * a qcow2 means the guest's disk hid one image inside another.
 */
async function checkedOutput(qemuImg: QemuImg, path: string, format: string, sourceVirtualSize: number): Promise<number> {
  const inspected = await inspectImage(path);
  if (inspected.safetyProblems.length > 0 || inspected.format !== format) {
    refuse(`the converted image is ${inspected.format}${inspected.safetyProblems.map((problem) => `; ${problem}`).join('')}, not a safe ${format}`);
  }
  const info = await qemuImg.info(path, format);
  assertQemuAgrees(info, format);
  const sectorRounded = Math.ceil(sourceVirtualSize / 512) * 512;
  if (info.virtualSize !== sourceVirtualSize && info.virtualSize !== sectorRounded) {
    throw new GlimpseError('internal', `qemu-img convert wrote ${info.virtualSize} bytes of virtual disk for a ${sourceVirtualSize}-byte image`);
  }
  return info.virtualSize;
}

function refuse(problem: string): never {
  throw new GlimpseError('unsupported_media_type', `Image conversion refused: ${problem}`);
}

/** qemu-img run with arguments (never a shell), a time limit and bounded output. */
class QemuImg {
  private readonly binary: string;
  private readonly convertTimeoutMs: number;

  constructor(options: QemuImgOptions) {
    this.binary = options.binary ?? 'qemu-img';
    this.convertTimeoutMs = options.convertTimeoutMs ?? DEFAULT_CONVERT_TIMEOUT_MS;
  }

  async info(path: string, format: string): Promise<QemuInfo> {
    const stdout = await this.run(['info', '-f', driverOf(format), '--output=json', path], INFO_TIMEOUT_MS, INFO_OUTPUT_BYTES);
    return parseInfo(stdout);
  }

  async convert(source: string, sourceFormat: string, target: string, targetFormat: string): Promise<void> {
    await this.run(['convert', '-f', driverOf(sourceFormat), '-O', driverOf(targetFormat), source, target], this.convertTimeoutMs, CONVERT_OUTPUT_BYTES);
  }

  private run(args: string[], timeout: number, maxBuffer: number): Promise<string> {
    const command = `qemu-img ${args[0]}`;
    return new Promise((done, fail) => {
      execFile(this.binary, args, { timeout, maxBuffer, killSignal: 'SIGKILL', encoding: 'utf8' }, (error, stdout, stderr) => {
        if (!error) return done(stdout);
        fail(this.failure(command, error, stderr, timeout, maxBuffer));
      });
    });
  }

  private failure(command: string, error: ExecFileException, stderr: string, timeout: number, maxBuffer: number): GlimpseError {
    if (error.code === 'ENOENT') {
      return new GlimpseError('unavailable', `qemu-img is not installed (${this.binary} was not found): install Debian's qemu-utils package`);
    }
    if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
      return new GlimpseError('internal', `${command} wrote more than ${maxBuffer} bytes of output and was stopped`);
    }
    if (error.killed) return new GlimpseError('internal', `${command} exceeded its time limit of ${timeout / 1000} s and was stopped`);
    const detail = stderr.trim().slice(0, 1000) || error.message;
    return new GlimpseError('internal', `${command} failed: ${detail}`);
  }
}

function driverOf(format: string): string {
  return QEMU_DRIVER[format] ?? format;
}

function formatOf(driver: string): string {
  return Object.keys(QEMU_DRIVER).find((format) => QEMU_DRIVER[format] === driver) ?? driver;
}

function parseInfo(stdout: string): QemuInfo {
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    throw new GlimpseError('internal', 'qemu-img info did not answer JSON');
  }
  const specific = (info['format-specific'] as { data?: Record<string, unknown> } | undefined)?.data ?? {};
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  const virtualSize = info['virtual-size'];
  if (typeof info['format'] !== 'string' || typeof virtualSize !== 'number') {
    throw new GlimpseError('internal', 'qemu-img info did not state a format and virtual size');
  }
  return {
    format: formatOf(info['format']),
    virtualSize,
    backingFile: text(info['backing-filename']) ?? text(info['full-backing-filename']),
    dataFile: text(specific['data-file']),
    createType: text(specific['create-type']),
  };
}
