import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { type AddOptions, FilesystemStore, type StoredImage } from '@glimpse/stores';
import { createReadStream } from 'node:fs';
import { readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { API_SETTINGS, type ApiSettings } from '../api.settings';

/**
 * Where image data waits for import (node_staging_uri): one file per image, written atomically
 * by the filesystem driver, removed when the import ends or the image is deleted.
 */
@Injectable()
export class StagingArea implements OnModuleInit {
  private readonly files: FilesystemStore;

  constructor(@Inject(API_SETTINGS) private readonly settings: ApiSettings) {
    this.files = new FilesystemStore(settings.stagingDir);
  }

  async onModuleInit(): Promise<void> {
    await this.files.prepare().catch((error: Error) => {
      throw new Error(`node_staging_uri: ${error.message}`);
    });
  }

  /** Partial files (a stage or a conversion that died) nothing wrote to for `olderThanMs`; returns their names. */
  async removeStalePartials(olderThanMs: number): Promise<string[]> {
    const cutoff = Date.now() - olderThanMs;
    const removed: string[] = [];
    for (const name of await readdir(this.settings.stagingDir)) {
      if (!name.startsWith('.') || !name.endsWith('.partial')) continue;
      const path = join(this.settings.stagingDir, name);
      const modified = await stat(path).then((s) => s.mtimeMs, () => Infinity);
      if (modified < cutoff && (await unlink(path).then(() => true, () => false))) removed.push(name);
    }
    return removed;
  }

  pathOf(imageId: string): string {
    return join(this.settings.stagingDir, imageId);
  }

  async write(imageId: string, data: Readable, options: AddOptions): Promise<StoredImage> {
    await this.remove(imageId);
    return this.files.add(imageId, data, options);
  }

  stat(imageId: string) {
    return stat(this.pathOf(imageId));
  }

  async has(imageId: string): Promise<boolean> {
    return stat(this.pathOf(imageId)).then(
      () => true,
      () => false,
    );
  }

  open(imageId: string): Readable {
    return createReadStream(this.pathOf(imageId), { highWaterMark: 1024 * 1024 });
  }

  /** Puts a converted file in place of the staged one. */
  async replace(imageId: string, path: string): Promise<void> {
    await rename(path, this.pathOf(imageId));
  }

  async remove(imageId: string): Promise<void> {
    await unlink(this.pathOf(imageId)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}
