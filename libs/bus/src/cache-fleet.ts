import { Logger } from '@nestjs/common';
import { type CacheHeartbeat, CacheNodeSubjects, type CacheRequestMap, CacheSubjects, badRequest } from '@glimpse/contracts';
import type { BusClient } from './bus.client';
import type { RegistryClient } from './registry.client';

type Kind = keyof CacheRequestMap;

export interface NodeReply<K extends Kind> {
  node: CacheHeartbeat;
  reply: CacheRequestMap[K][1];
}

/**
 * The cache agents as the API and the operator CLIs reach them: the registry knows which nodes are alive (from their
 * heartbeats), and each node answers its own subjects. A node that does not answer is left out
 * of a listing rather than failing it.
 */
export class CacheFleet {
  private readonly logger = new Logger('CacheFleet');

  constructor(
    private readonly bus: BusClient,
    private readonly registry: RegistryClient,
    /** A node unheard of for this long is left out (three heartbeats). */
    private readonly nodeTimeoutSeconds: number,
  ) {}

  /** The live nodes, or the named ones (an unknown name is a 400). */
  async nodes(named: string[] = []): Promise<CacheHeartbeat[]> {
    const { nodes } = await this.registry.request(CacheNodeSubjects.list, { withinSeconds: this.nodeTimeoutSeconds });
    if (named.length === 0) return nodes;
    const unknown = named.filter((name) => !nodes.some((n) => n.node === name));
    if (unknown.length > 0) throw badRequest(`No live cache node named ${unknown.join(', ')}`);
    return nodes.filter((n) => named.includes(n.node));
  }

  ask<K extends Kind>(node: string, kind: K, request: CacheRequestMap[K][0]): Promise<CacheRequestMap[K][1]> {
    return this.bus.request<CacheRequestMap[K][0], CacheRequestMap[K][1]>(CacheSubjects[kind](node), request);
  }

  /** Asks every node at once; those that fail are logged and left out. */
  async gather<K extends Kind>(nodes: CacheHeartbeat[], kind: K, request: CacheRequestMap[K][0]): Promise<NodeReply<K>[]> {
    const settled = await Promise.allSettled(nodes.map((node) => this.ask(node.node, kind, request)));
    const replies: NodeReply<K>[] = [];
    settled.forEach((result, i) => {
      if (result.status === 'fulfilled') replies.push({ node: nodes[i], reply: result.value });
      else this.logger.warn(`cache node ${nodes[i].node} did not answer ${kind}: ${(result.reason as Error).message}`);
    });
    return replies;
  }
}
