import { request } from 'node:http';

/**
 * A PUT /v2/images/{id}/file (or /stage) that announces `size` bytes, sends `sent` of them and
 * then hangs, as a client whose server is about to die. `abort()` drops the connection.
 */
export function hangingUpload(base: string, id: string, size: number, sent: number, headers: Record<string, string> = {}, target: 'file' | 'stage' = 'file'): { abort: () => void } {
  const req = request(`${base}/v2/images/${id}/${target}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size), ...headers },
  });
  req.on('error', () => undefined); // the server goes away under it
  const chunk = Buffer.alloc(1024 * 1024, 7);
  for (let left = sent; left > 0; left -= chunk.length) req.write(left >= chunk.length ? chunk : chunk.subarray(0, left));
  return { abort: () => req.destroy() };
}
