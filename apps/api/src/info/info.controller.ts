import { Controller, Get, Inject } from '@nestjs/common';
import { type CallerContext, RegistrySubjects } from '@glimpse/contracts';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { Caller } from '../identity/caller.decorator';
import { RegistryClient } from '../registry/registry.client';

const MIB = 1024 * 1024;

/**
 * GET /v2/info/usage. Glance answers {"usage": {}} unless Keystone unified limits are on;
 * Glimpse reports the caller project's real usage in the same shape, against its static
 * user_storage_quota (MiB; -1 means no limit).
 */
@Controller('v2/info')
export class InfoController {
  constructor(
    private readonly registry: RegistryClient,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  @Get('usage')
  async usage(@Caller() caller: CallerContext): Promise<Record<string, unknown>> {
    const usage = await this.registry.request(RegistrySubjects.getUsage, { owner: caller.projectId });
    const quota = this.settings.userStorageQuota;
    return {
      usage: {
        image_size_total: { limit: quota > 0 ? Math.floor(quota / MIB) : -1, usage: Math.floor(usage.storedBytes / MIB) },
        image_stage_total: { limit: -1, usage: 0 },
        image_count_total: { limit: -1, usage: usage.imageCount },
        image_count_uploading: { limit: -1, usage: usage.uploadingCount },
      },
    };
  }
}
