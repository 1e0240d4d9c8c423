import type { StoreBackend } from '@glimpse/stores';
import { type InspectedImage, inspectBytes } from './format-inspector';

/** Inspects image data where its store keeps it: only the headers, each through a ranged read. */
export function inspectStored(store: StoreBackend, location: string, size: number): Promise<InspectedImage> {
  return inspectBytes(size, async (offset, length) => {
    const { stream } = await store.get(location, { start: offset, end: offset + length - 1 });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  });
}
