import { Injectable } from '@nestjs/common';
import { BusClient } from '@glimpse/bus';
import type { RegistryRequestMap } from '@glimpse/contracts';

type Subject = keyof RegistryRequestMap & string;

/** The registry as the API sees it: request-reply over the bus, typed by the contract map. */
@Injectable()
export class RegistryClient {
  constructor(private readonly bus: BusClient) {}

  request<S extends Subject>(subject: S, data: RegistryRequestMap[S][0]): Promise<RegistryRequestMap[S][1]> {
    return this.bus.request<RegistryRequestMap[S][0], RegistryRequestMap[S][1]>(subject, data);
  }
}
