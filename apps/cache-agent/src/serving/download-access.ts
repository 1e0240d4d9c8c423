import { Injectable } from '@nestjs/common';
import { CallerResolver, PolicyEnforcer, authorizeDownload, visibleImage } from '@glimpse/access';
import { RegistryClient } from '@glimpse/bus';
import { type ImageRecord, RegistrySubjects } from '@glimpse/contracts';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The API's download checks, made by the agent before any byte leaves it (a cache hit never
 * bypasses them): the caller's identity, the image's visibility to that caller through the
 * registry and get_image (else 404), deactivation (403 but for admins), then download_image.
 */
@Injectable()
export class DownloadAccess {
  constructor(
    private readonly callers: CallerResolver,
    private readonly registry: RegistryClient,
    private readonly policy: PolicyEnforcer,
  ) {}

  async authorize(headers: IncomingHttpHeaders, id: string): Promise<ImageRecord> {
    const caller = await this.callers.resolve(headers);
    const image = await visibleImage(this.policy, caller, id, () => this.registry.request(RegistrySubjects.getImage, { caller, id }));
    authorizeDownload(this.policy, caller, image);
    return image;
  }
}
