import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * A real qcow2 image (made by qemu-img from Debian's qemu-utils, which scripts/install-clients.sh
 * installs) holding `dataBytes` random bytes on a disk of `virtualBytes`: what an upload with
 * disk_format qcow2 must carry now that bare uploads are format-inspected.
 */
export function qcow2Image(path: string, dataBytes: number, virtualBytes = 64 * 1024 * 1024): Buffer {
  const raw = `${path}.raw`;
  writeFileSync(raw, randomBytes(dataBytes));
  try {
    execFileSync('qemu-img', ['resize', '-f', 'raw', raw, String(virtualBytes)], { stdio: 'pipe' });
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, path], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`qemu-img could not make a qcow2 image (is qemu-utils installed? bash scripts/install-clients.sh): ${(error as Error).message}`);
  } finally {
    rmSync(raw, { force: true });
  }
  return readFileSync(path);
}

/** A qcow2 image whose backing file is a host file: what Glance's safety checks refuse. */
export function qcow2WithBackingFile(path: string, backing: string): Buffer {
  execFileSync('qemu-img', ['create', '-f', 'qcow2', '-b', backing, '-F', 'raw', path, '16M'], { stdio: 'pipe' });
  return readFileSync(path);
}
