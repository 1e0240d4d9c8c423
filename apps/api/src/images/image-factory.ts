import { Inject, Injectable } from '@nestjs/common';
import { PolicyEnforcer } from '@glimpse/access';
import { RegistryClient } from '@glimpse/bus';
import { type CallerContext, type ImageRecord, RegistrySubjects, type Visibility } from '@glimpse/contracts';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { PropertyProtections } from '../policy/property-protections';
import { createRequest } from './image-create';
import { assertPropertyQuota, assertTagQuota } from './image-quotas';

/** A new queued image from a POST /v2/images body, with every check Glance makes on it. */
@Injectable()
export class ImageFactory {
  constructor(
    private readonly registry: RegistryClient,
    private readonly policy: PolicyEnforcer,
    private readonly protections: PropertyProtections,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  async create(caller: CallerContext, body: unknown): Promise<ImageRecord> {
    const request = createRequest(caller, body, this.settings);
    const owner = request.fields.owner !== undefined ? request.fields.owner : caller.projectId;
    const target = { project_id: caller.projectId, owner, visibility: request.fields.visibility ?? 'shared' };
    this.policy.authorize('add_image', caller, target);
    this.authorizeVisibility(caller, request.fields.visibility, { ...target, project_id: owner });
    for (const name of Object.keys(request.properties)) this.protections.authorize(caller, name, 'create');
    assertPropertyQuota(request.properties, this.settings.imagePropertyQuota);
    assertTagQuota(request.tags.length, this.settings.imageTagQuota);
    return this.registry.request(RegistrySubjects.createImage, request);
  }

  /** public needs publicize_image (admin), community needs communitize_image. */
  authorizeVisibility(caller: CallerContext, visibility: Visibility | undefined, target: Record<string, string | null>): void {
    if (visibility === 'public') this.policy.authorize('publicize_image', caller, { ...target, visibility });
    if (visibility === 'community') this.policy.authorize('communitize_image', caller, { ...target, visibility });
  }
}
