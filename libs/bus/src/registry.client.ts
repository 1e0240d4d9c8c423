import { Injectable } from '@nestjs/common';
import { BusClient } from './bus.client';
import type { CacheNodeRequestMap, ImportRequestMap, MemberRequestMap, RegistryRequestMap } from '@glimpse/contracts';

type RequestMap = RegistryRequestMap & MemberRequestMap & ImportRequestMap & CacheNodeRequestMap;
type Subject = keyof RequestMap & string;

/** The registry as its clients see it: request-reply over the bus, typed by the contract map. */
@Injectable()
export class RegistryClient {
  constructor(private readonly bus: BusClient) {}

  request<S extends Subject>(subject: S, data: RequestMap[S][0]): Promise<RequestMap[S][1]> {
    return this.bus.request<RequestMap[S][0], RequestMap[S][1]>(subject, data);
  }
}
