import { Controller, UseFilters, UseInterceptors } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { BusExceptionFilter, TraceContextInterceptor } from '@glimpse/bus';
import { type CacheHeartbeat, type CacheNodeRequestMap, CacheNodeSubjects } from '@glimpse/contracts';
import { DataSource, MoreThanOrEqual } from 'typeorm';
import { CacheNodeEntity } from './cache-node.entity';

type List = CacheNodeRequestMap[typeof CacheNodeSubjects.list];

/** The directory of cache nodes: each heartbeat is an upsert, a listing is the nodes heard from lately. */
@Controller()
@UseFilters(BusExceptionFilter)
@UseInterceptors(TraceContextInterceptor)
export class CacheNodesHandler {
  constructor(private readonly db: DataSource) {}

  @EventPattern(CacheNodeSubjects.seen)
  async seen(@Payload() beat: CacheHeartbeat): Promise<void> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(beat.node)) return;
    await this.db.getRepository(CacheNodeEntity).upsert(
      {
        node: beat.node,
        url: beat.url.slice(0, 255),
        sizeBytes: String(beat.sizeBytes),
        maxSizeBytes: String(beat.maxSizeBytes),
        lastSeen: new Date(),
      },
      ['node'],
    );
  }

  @MessagePattern(CacheNodeSubjects.list)
  async list(@Payload() request: List[0]): Promise<List[1]> {
    const since = new Date(Date.now() - request.withinSeconds * 1000);
    const rows = await this.db.getRepository(CacheNodeEntity).find({ where: { lastSeen: MoreThanOrEqual(since) }, order: { node: 'ASC' } });
    return {
      nodes: rows.map((row) => ({
        node: row.node,
        url: row.url,
        sizeBytes: Number(row.sizeBytes),
        maxSizeBytes: Number(row.maxSizeBytes),
        at: row.lastSeen.toISOString(),
      })),
    };
  }
}
