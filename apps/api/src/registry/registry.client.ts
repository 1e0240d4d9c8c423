import { Injectable } from '@nestjs/common';
import { BusClient } from '@glimpse/bus';
import type { ImportRequestMap, MemberRequestMap, RegistryRequestMap } from '@glimpse/contracts';

type RequestMap = RegistryRequestMap & MemberRequestMap & ImportRequestMap;
type Subject = keyof RequestMap & string;

/** The registry as the API sees it: request-reply over the bus, typed by the contract map. */
@Injectable()
export class RegistryClient {
  constructor(private readonly bus: BusClient) {}

  request<S extends Subject>(subject: S, data: RequestMap[S][0]): Promise<RequestMap[S][1]> {
    return this.bus.request<RequestMap[S][0], RequestMap[S][1]>(subject, data);
  }
}
