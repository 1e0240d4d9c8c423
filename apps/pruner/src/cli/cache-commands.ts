import type { CacheFleet } from '@glimpse/bus';
import type { CacheHeartbeat, CacheNodeState } from '@glimpse/contracts';
import { ProgressBoard, type ProgressOutput } from './progress-board';
import { type Row, table } from './table';

export interface CommandContext {
  fleet: CacheFleet;
  /** --node values; none means every live node. */
  nodes: string[];
  args: string[];
  print(line: string): void;
  /** Where progress bars go (stderr). */
  progress: ProgressOutput;
  /** How often prefetch asks the nodes how far they are. */
  pollMs?: number;
}

type Command = (ctx: CommandContext) => Promise<number>;

const when = (epochSeconds: number) => (epochSeconds > 0 ? new Date(epochSeconds * 1000).toISOString().replace('T', ' ').slice(0, 19) : '-');

function imageIds(ctx: CommandContext, min = 1): string[] {
  if (ctx.args.length < min) throw new Error('an image id is needed');
  return ctx.args;
}

async function targets(ctx: CommandContext): Promise<CacheHeartbeat[]> {
  const nodes = await ctx.fleet.nodes(ctx.nodes);
  if (nodes.length === 0) throw new Error('no cache node is alive');
  return nodes;
}

/**
 * The cache CLI's commands: glance-cache-pruner (prune), glance-cache-cleaner (clean),
 * glance-cache-prefetcher (prefetch) and glance-cache-manage's, each over every node or --node.
 */
export const COMMANDS: Record<string, Command> = {
  async 'list-cached'(ctx) {
    const replies = await ctx.fleet.gather(await targets(ctx), 'list', {});
    const rows: Row[] = replies.flatMap(({ reply }) =>
      reply.cachedImages.map((image) => [reply.node, image.image_id, when(image.last_accessed), when(image.last_modified), String(image.size), String(image.hits)]),
    );
    ctx.print(table(['Node', 'ID', 'Last Accessed (UTC)', 'Last Modified (UTC)', 'Size', 'Hits'], rows));
    for (const { reply } of replies) ctx.print(`${reply.node}: ${reply.sizeBytes} of ${reply.maxSizeBytes} bytes (${reply.url})`);
    return 0;
  },
  async 'list-queued'(ctx) {
    const replies = await ctx.fleet.gather(await targets(ctx), 'list', {});
    ctx.print(table(['Node', 'ID'], replies.flatMap(({ reply }) => reply.queuedImages.map((id) => [reply.node, id]))));
    return 0;
  },
  async 'queue-image'(ctx) {
    const replies = await ctx.fleet.gather(await targets(ctx), 'queue', { imageIds: imageIds(ctx) });
    for (const { reply } of replies) ctx.print(`${reply.node}: queued ${reply.queued.length ? reply.queued.join(', ') : 'nothing new'}`);
    return replies.length > 0 ? 0 : 1;
  },
  async 'delete-cached-image'(ctx) {
    let found = false;
    for (const id of imageIds(ctx)) {
      const replies = await ctx.fleet.gather(await targets(ctx), 'delete', { imageId: id });
      for (const { reply } of replies.filter(({ reply }) => reply.evicted)) ctx.print(`${reply.node}: evicted ${id}`);
      found ||= replies.some(({ reply }) => reply.evicted);
    }
    return found ? 0 : 1;
  },
  async 'delete-all-cached-images'(ctx) {
    for (const { reply } of await ctx.fleet.gather(await targets(ctx), 'clear', { target: 'cache' })) ctx.print(`${reply.node}: evicted ${reply.evicted}`);
    return 0;
  },
  async 'delete-queued-image'(ctx) {
    let found = false;
    for (const id of imageIds(ctx)) {
      const replies = await ctx.fleet.gather(await targets(ctx), 'delete', { imageId: id });
      found ||= replies.some(({ reply }) => reply.dequeued);
    }
    return found ? 0 : 1;
  },
  async 'delete-all-queued-images'(ctx) {
    for (const { reply } of await ctx.fleet.gather(await targets(ctx), 'clear', { target: 'queue' })) ctx.print(`${reply.node}: dequeued ${reply.dequeued}`);
    return 0;
  },
  async prune(ctx) {
    const replies = await ctx.fleet.gather(await targets(ctx), 'prune', {});
    for (const { reply } of replies) ctx.print(`${reply.node}: pruned ${reply.filesPruned} file(s), ${reply.bytesPruned} bytes`);
    return replies.length > 0 ? 0 : 1;
  },
  async clean(ctx) {
    const replies = await ctx.fleet.gather(await targets(ctx), 'clean', {});
    for (const { reply } of replies) ctx.print(`${reply.node}: removed ${reply.invalidRemoved} invalid and ${reply.stalledRemoved} stalled file(s)`);
    return replies.length > 0 ? 0 : 1;
  },
  /**
   * Queues the given images (if any) and waits until every node's queue is empty, with a progress
   * bar per node and image; 0 when all of them are cached everywhere.
   */
  async prefetch(ctx) {
    const nodes = await targets(ctx);
    if (ctx.args.length > 0) await ctx.fleet.gather(nodes, 'queue', { imageIds: ctx.args });
    const board = new ProgressBoard(ctx.progress);
    const deadline = Date.now() + 3600_000;
    for (;;) {
      const replies = await ctx.fleet.gather(nodes, 'list', {});
      for (const { reply } of replies) showProgress(board, reply, ctx.args);
      const waiting = replies.reduce((sum, { reply }) => sum + reply.queuedImages.length + reply.filling.length, 0);
      if (waiting === 0 || Date.now() > deadline) {
        board.close();
        const missing = replies.flatMap(({ reply }) => ctx.args.filter((id) => !reply.cachedImages.some((image) => image.image_id === id)).map((id) => `${reply.node}:${id}`));
        ctx.print(missing.length === 0 ? 'prefetch complete' : `not cached: ${missing.join(', ')}`);
        return missing.length === 0 && replies.length === nodes.length ? 0 : 1;
      }
      await new Promise((resolve) => setTimeout(resolve, ctx.pollMs ?? 250));
    }
  },
};

/** A bar per running fill; a requested or watched image that is cached is complete, even if its fill ran between two polls. */
function showProgress(board: ProgressBoard, state: CacheNodeState, requested: string[]): void {
  for (const fill of state.filling) board.update(`${state.node}/${fill.image_id}`, `${state.node} ${fill.image_id}`, fill.bytes, fill.size);
  for (const image of state.cachedImages) {
    const key = `${state.node}/${image.image_id}`;
    if (!requested.includes(image.image_id) && !board.has(key)) continue;
    board.update(key, `${state.node} ${image.image_id}`, image.size, image.size);
    board.finish(key);
  }
}
