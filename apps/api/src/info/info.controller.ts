import { Controller, Get, Inject } from '@nestjs/common';
import { RegistryClient } from '@glimpse/bus';
import { type CallerContext, RegistrySubjects, notFound } from '@glimpse/contracts';
import { type StoreBackend, Stores } from '@glimpse/stores';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { Caller } from '../identity/caller.decorator';
import { PolicyEnforcer } from '@glimpse/access';

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
    private readonly stores: Stores,
    private readonly policy: PolicyEnforcer,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  @Get('import')
  importMethods(): Record<string, unknown> {
    return { 'import-methods': { description: 'Import methods available.', type: 'array', value: this.settings.enabledImportMethods } };
  }

  /** The enabled stores; booleans are strings, as Glance sends them. 404 without multi-store. */
  @Get('stores')
  storeList(): { stores: Record<string, unknown>[] } {
    return { stores: this.enabledStores().map((store) => this.storeSummary(store)) };
  }

  @Get('stores/detail')
  storeDetail(@Caller() caller: CallerContext): { stores: Record<string, unknown>[] } {
    const stores = this.enabledStores();
    this.policy.authorize('stores_info_detail', caller, { project_id: caller.projectId });
    return {
      stores: stores.map((store) => ({ ...this.storeSummary(store), type: store.type, weight: store.weight, properties: store.properties() })),
    };
  }

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

  private enabledStores(): readonly StoreBackend[] {
    if (!this.stores.multiStore) throw notFound('Multi backend is not supported at this site.');
    return this.stores.list();
  }

  private storeSummary(store: StoreBackend): Record<string, unknown> {
    const summary: Record<string, unknown> = { id: store.id };
    if (store.description) summary['description'] = store.description;
    if (store === this.stores.default) summary['default'] = 'true';
    if (!store.capabilities.write) summary['read-only'] = 'true';
    return summary;
  }
}
