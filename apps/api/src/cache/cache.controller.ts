import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { PolicyEnforcer } from '@glimpse/access';
import { CacheFleet } from '@glimpse/bus';
import { type CacheClearTarget, type CallerContext, type CachedImage, GlimpseError, badRequest, notFound } from '@glimpse/contracts';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { Caller } from '../identity/caller.decorator';
import { ImageAccess } from '../images/image-access';

/** `?node=a&node=b` (or `node=a,b`) picks nodes; none means every live node. */
function nodesOf(query: string | string[] | undefined): string[] {
  const values = query === undefined ? [] : Array.isArray(query) ? query : [query];
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

/**
 * Glance's /v2/cache API over every node: listings merge the nodes' answers (each cached entry
 * names its node), changes go to every live node or to those named with `?node=`.
 */
@Controller('v2/cache')
export class CacheController {
  constructor(
    private readonly fleet: CacheFleet,
    private readonly policy: PolicyEnforcer,
    private readonly access: ImageAccess,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  @Get()
  async list(@Caller() caller: CallerContext, @Query('node') node?: string | string[]): Promise<{ cached_images: CachedImage[]; queued_images: string[] }> {
    this.authorize('cache_list', caller);
    const replies = await this.fleet.gather(await this.fleet.nodes(nodesOf(node)), 'list', {});
    const cached: (CachedImage & { node: string })[] = replies.flatMap(({ reply }) => reply.cachedImages.map((image) => ({ ...image, node: reply.node })));
    const queued = [...new Set(replies.flatMap(({ reply }) => reply.queuedImages))];
    // Exactly Glance's two keys: glanceclient lists every other key as a queued image.
    return { cached_images: cached, queued_images: queued };
  }

  @Put(':id')
  @HttpCode(202)
  async queue(
    @Caller() caller: CallerContext,
    @Param('id') id: string,
    @Query('node') node?: string | string[],
    @Body() body?: { nodes?: unknown },
  ): Promise<void> {
    this.assertEnabled();
    const image = await this.access.visible(caller, id);
    this.policy.authorize('cache_image', caller, {});
    if (image.status !== 'active') throw badRequest(`Only images with status active can be targeted for queueing; ${id} is ${image.status}`);
    const named = [...nodesOf(node), ...(Array.isArray(body?.nodes) ? body.nodes.filter((n): n is string => typeof n === 'string') : [])];
    const nodes = await this.fleet.nodes(named);
    if (nodes.length === 0) throw new GlimpseError('unavailable', 'No cache node is alive to queue the image on.');
    const replies = await this.fleet.gather(nodes, 'queue', { imageIds: [id] });
    if (replies.length === 0) throw new GlimpseError('unavailable', 'No cache node could queue the image.');
  }

  @Delete(':id')
  @HttpCode(204)
  async deleteOne(@Caller() caller: CallerContext, @Param('id') id: string, @Query('node') node?: string | string[]): Promise<void> {
    this.authorize('cache_delete', caller);
    const replies = await this.fleet.gather(await this.fleet.nodes(nodesOf(node)), 'delete', { imageId: id });
    if (replies.some(({ reply }) => reply.evicted || reply.dequeued)) return;
    const known = await this.access.visible(caller, id).then(() => true, () => false);
    if (!known) throw notFound(`Image ${id} not found in cache.`);
  }

  @Delete()
  @HttpCode(204)
  async clear(
    @Caller() caller: CallerContext,
    @Headers('x-image-cache-clear-target') header: string | undefined,
    @Query('node') node?: string | string[],
  ): Promise<void> {
    this.authorize('cache_delete', caller);
    const target = clearTarget(header);
    await this.fleet.gather(await this.fleet.nodes(nodesOf(node)), 'clear', { target });
  }

  @Get('nodes/:id')
  async nodesHolding(@Caller() caller: CallerContext, @Param('id') id: string): Promise<string[]> {
    this.authorize('list_cached_nodes', caller);
    const replies = await this.fleet.gather(await this.fleet.nodes(), 'list', {});
    return replies.filter(({ reply }) => reply.cachedImages.some((image) => image.image_id === id)).map(({ reply }) => reply.url);
  }

  @Post('prune')
  @HttpCode(200)
  async prune(@Caller() caller: CallerContext, @Query('node') node?: string | string[]): Promise<Record<string, number>> {
    this.authorize('cache_prune', caller);
    const replies = await this.fleet.gather(await this.fleet.nodes(nodesOf(node)), 'prune', {});
    return {
      total_files_pruned: replies.reduce((sum, { reply }) => sum + reply.filesPruned, 0),
      total_bytes_pruned: replies.reduce((sum, { reply }) => sum + reply.bytesPruned, 0),
    };
  }

  @Post('clean')
  @HttpCode(200)
  async clean(@Caller() caller: CallerContext, @Query('node') node?: string | string[]): Promise<void> {
    this.authorize('cache_clean', caller);
    await this.fleet.gather(await this.fleet.nodes(nodesOf(node)), 'clean', {});
  }

  /** 404 while image_cache_dir is unset, as Glance answers without a cache. */
  private assertEnabled(): void {
    if (!this.settings.cacheEnabled) throw notFound('Caching via API is not supported at this site.');
  }

  private authorize(rule: 'cache_list' | 'cache_delete' | 'list_cached_nodes' | 'cache_prune' | 'cache_clean', caller: CallerContext): void {
    this.assertEnabled();
    this.policy.authorize(rule, caller, {});
  }
}

/** Glance: absent or empty clears both; `cache` or `queue` one of them; anything else (even `both`) is a 400. */
export function clearTarget(header: string | undefined): CacheClearTarget {
  const value = header?.trim() ?? '';
  if (value === '') return 'both';
  if (value === 'cache' || value === 'queue') return value;
  throw badRequest(`If provided, 'x-image-cache-clear-target' must be 'cache' or 'queue', not '${value}'.`);
}
