import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ChecksumStream } from './checksum.stream';
import type { AddOptions, ByteRange, ImageData, StoreDriver, StoredImage } from './store.driver';
import { StoreError } from './store.errors';

const IO_CHUNK = 1024 * 1024;

/**
 * Images as files in one directory. A write goes to a hidden temporary file, is fsynced, renamed
 * into place and the directory fsynced, so a partial write is never visible under the image's name.
 */
export class FilesystemStore implements StoreDriver {
  readonly type = 'file';
  readonly capabilities = { read: true, write: true, randomAccess: true };
  private readonly dir: string;

  constructor(datadir: string) {
    this.dir = resolve(datadir);
  }

  /** Creates the directory and proves it writable, naming the option when it is not. */
  async prepare(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
      const probe = join(this.dir, `.probe-${randomUUID()}`);
      await (await open(probe, 'w')).close();
      await unlink(probe);
    } catch (error) {
      throw new Error(
        `filesystem_store_datadir=${this.dir} is not writable by uid ${process.getuid?.() ?? '?'}: ${(error as Error).message}`,
      );
    }
  }

  owns(location: string): boolean {
    try {
      this.pathOf(location);
      return true;
    } catch {
      return false;
    }
  }

  properties(): Record<string, unknown> {
    return { data_dir: this.dir, chunk_size: IO_CHUNK, thin_provisioning: false };
  }

  async add(imageId: string, data: Readable, options: AddOptions): Promise<StoredImage> {
    const final = join(this.dir, imageId);
    const partial = join(this.dir, `.${imageId}.${randomUUID()}.partial`);
    const checksums = new ChecksumStream(options);
    const out = createWriteStream(partial, { flags: 'wx', highWaterMark: IO_CHUNK, flush: true });
    try {
      await pipeline(data, checksums, out);
      await rename(partial, final);
      await this.syncDirectory();
    } catch (error) {
      // pipeline rejects before a destroyed write stream has finished opening the file; unlinking
      // earlier would leave the partial file behind once the open completes.
      if (!out.closed) await new Promise<void>((done) => out.once('close', () => done()));
      await unlink(partial).catch(() => undefined);
      throw storeErrorOf(error, imageId);
    }
    return checksums.storedAt(pathToFileURL(final).href);
  }

  async get(location: string, range?: ByteRange): Promise<ImageData> {
    const path = this.pathOf(location);
    const size = await this.size(location);
    const stream = createReadStream(path, { highWaterMark: IO_CHUNK, start: range?.start, end: range?.end });
    return { stream, size };
  }

  async size(location: string): Promise<number> {
    try {
      return (await stat(this.pathOf(location))).size;
    } catch (error) {
      throw storeErrorOf(error, location);
    }
  }

  async delete(location: string): Promise<void> {
    try {
      await unlink(this.pathOf(location));
    } catch (error) {
      throw storeErrorOf(error, location);
    }
  }

  async purgeUpload(imageId: string): Promise<void> {
    const names = await readdir(this.dir);
    const leftovers = names.filter((name) => name === imageId || (name.startsWith(`.${imageId}.`) && name.endsWith('.partial')));
    for (const name of leftovers) {
      await unlink(join(this.dir, name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw storeErrorOf(error, name);
      });
    }
  }

  /** Only file URLs inside the store's own directory are accepted. */
  private pathOf(location: string): string {
    let path: string;
    try {
      path = location.startsWith('filesystem://')
        ? location.slice('filesystem://'.length)
        : fileURLToPath(location);
    } catch {
      throw new StoreError('invalid_location', `Invalid location ${location}`);
    }
    const absolute = resolve(path);
    if (!isAbsolute(path) || !absolute.startsWith(this.dir + sep)) {
      throw new StoreError('invalid_location', `Location ${location} is outside the filesystem store`);
    }
    return absolute;
  }

  private async syncDirectory(): Promise<void> {
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

function storeErrorOf(error: unknown, what: string): Error {
  if (error instanceof StoreError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return new StoreError('not_found', `No data found for ${what}`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new StoreError('store_full', `There is not enough disk space on the image storage media.`);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new StoreError('write_denied', `Permission to write image storage media denied.`);
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}
