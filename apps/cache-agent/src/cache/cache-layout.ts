import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const IMAGE_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Glance's cache directory layout: complete, verified files at the top, `incomplete/<id>` while
 * one is being written, `invalid/<id>` for files that failed verification or were abandoned.
 */
export class CacheLayout {
  readonly incompleteDir: string;
  readonly invalidDir: string;

  constructor(readonly dir: string) {
    this.incompleteDir = join(dir, 'incomplete');
    this.invalidDir = join(dir, 'invalid');
  }

  prepare(): void {
    for (const dir of [this.dir, this.incompleteDir, this.invalidDir]) mkdirSync(dir, { recursive: true });
  }

  /** Only image ids become file names (an id is never a path). */
  static isImageId(id: string): boolean {
    return IMAGE_ID.test(id);
  }

  cached(id: string): string {
    return join(this.dir, id);
  }

  incomplete(id: string): string {
    return join(this.incompleteDir, id);
  }

  invalid(id: string): string {
    return join(this.invalidDir, id);
  }
}
