import type { CacheFleet } from '@glimpse/bus';
import type { CacheHeartbeat, CacheNodeState } from '@glimpse/contracts';
import { COMMANDS, type CommandContext } from './cache-commands';

const MIB = 1024 * 1024;
const beat = (node: string): CacheHeartbeat => ({ node, url: `http://${node}:9393`, sizeBytes: 0, maxSizeBytes: 0, at: '' });
const state = (node: string, parts: Partial<CacheNodeState>): CacheNodeState => ({
  node, url: '', cachedImages: [], queuedImages: [], filling: [], sizeBytes: 0, maxSizeBytes: 0, ...parts,
});
const cached = (id: string, size: number) => ({ image_id: id, size, hits: 0, last_accessed: 0, last_modified: 0 });

/** A fleet whose nodes answer `list` with the next of their scripted states. */
function fleet(script: Record<string, CacheNodeState[]>) {
  const queued: { node: string; imageIds: string[] }[] = [];
  const fake = {
    nodes: async () => Object.keys(script).map(beat),
    gather: async (nodes: CacheHeartbeat[], kind: string, request: { imageIds?: string[] }) =>
      nodes.map((node) => {
        if (kind === 'queue') {
          queued.push({ node: node.node, imageIds: request.imageIds ?? [] });
          return { node, reply: { node: node.node, queued: request.imageIds } };
        }
        const states = script[node.node];
        return { node, reply: states.length > 1 ? states.shift()! : states[0] };
      }),
  };
  return { fleet: fake as unknown as CacheFleet, queued };
}

function context(fleetOf: CacheFleet, args: string[]) {
  const printed: string[] = [];
  const progress: string[] = [];
  const ctx: CommandContext = { fleet: fleetOf, nodes: [], args, print: (l) => printed.push(l), progress: { isTTY: false, write: (t) => progress.push(t) }, pollMs: 1 };
  return { ctx, printed, progress };
}

describe('cache prefetch', () => {
  it('queues on every node, shows each fill as it goes, and succeeds once all nodes hold the image', async () => {
    const { fleet: f, queued } = fleet({
      'node-a': [
        state('node-a', { queuedImages: ['img'] }),
        state('node-a', { filling: [{ image_id: 'img', bytes: 2 * MIB, size: 8 * MIB }] }),
        state('node-a', { filling: [{ image_id: 'img', bytes: 6 * MIB, size: 8 * MIB }] }),
        state('node-a', { cachedImages: [cached('img', 8 * MIB)] }),
      ],
      // node-b filled between two polls: its bar still ends at 100 %
      'node-b': [state('node-b', { queuedImages: ['img'] }), state('node-b', { cachedImages: [cached('img', 8 * MIB)] })],
    });
    const { ctx, printed, progress } = context(f, ['img']);
    expect(await COMMANDS.prefetch(ctx)).toBe(0);
    expect(queued).toEqual([{ node: 'node-a', imageIds: ['img'] }, { node: 'node-b', imageIds: ['img'] }]);
    const bars = progress.map((line) => line.replace(/\s+\S+ MiB\/s\n$/, ''));
    expect(bars).toEqual([
      'node-a img [######··················]  25%  2.0 of 8.0 MiB',
      'node-b img [########################] 100%  8.0 of 8.0 MiB',
      'node-a img [##################······]  75%  6.0 of 8.0 MiB',
      'node-a img [########################] 100%  8.0 of 8.0 MiB',
    ]);
    expect(printed).toEqual(['prefetch complete']);
  });

  it('fails and names the node when an image did not get cached there', async () => {
    const { fleet: f } = fleet({
      'node-a': [state('node-a', { cachedImages: [cached('img', MIB)] })],
      'node-b': [state('node-b', {})],
    });
    const { ctx, printed } = context(f, ['img']);
    expect(await COMMANDS.prefetch(ctx)).toBe(1);
    expect(printed).toEqual(['not cached: node-b:img']);
  });
});
