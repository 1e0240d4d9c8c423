import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { CallerResolver, PolicyEnforcer } from '@glimpse/access';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import type { GlimpseConfig } from '@glimpse/config';
import { BusClient, BusModule, type BusOptions, CacheFleet, healthController, RegistryClient } from '@glimpse/bus';
import { GlanceErrorFilter, HttpMetricsMiddleware, RequestIdMiddleware, RouteSpanInterceptor } from '@glimpse/http';
import { Stores, openStores } from '@glimpse/stores';
import { API_SETTINGS, type ApiSettings, apiSettings } from './api.settings';
import { BodyRejectMiddleware } from './http/body-reject.middleware';
import { MethodGuardMiddleware } from './http/method-guard.middleware';
import { allowedMethods } from './http/route-table';
import { CacheController } from './cache/cache.controller';
import { IdentityMiddleware } from './identity/identity.middleware';
import { ImageAccess } from './images/image-access';
import { ImageActionsController } from './images/image-actions.controller';
import { ImageDataController } from './images/image-data.controller';
import { ImageLocations } from './images/image-locations';
import { ImageDataService } from './images/image-data.service';
import { StorageQuota } from './images/storage-quota';
import { AbandonedUploads } from './images/abandoned-uploads';
import { ImageFactory } from './images/image-factory';
import { ImageStoresController } from './images/image-stores.controller';
import { ImageTagsController } from './images/image-tags.controller';
import { ImagesController } from './images/images.controller';
import { InfoController } from './info/info.controller';
import { ImportController } from './import/import.controller';
import { ImportPlugins } from './import/import-plugins';
import { ImportRunner } from './import/import-runner';
import { ImportService } from './import/import.service';
import { ImportTriggerHandler, ImportWorker } from './import/import-worker';
import { StagingArea } from './import/staging-area';
import { MembersController } from './members/members.controller';
import { protectionPolicyNames } from './policy/property-protection-file';
import { PropertyProtections } from './policy/property-protections';
import { SchemasController } from './schemas/schemas.controller';
import { VersionNegotiationMiddleware } from './versions/version-negotiation.middleware';
import { VersionsController } from './versions/versions.controller';

@Module({})
export class ApiModule implements NestModule {
  static forRoot(config: GlimpseConfig, bus: BusOptions): DynamicModule {
    return {
      module: ApiModule,
      imports: [BusModule.forRoot(bus)],
      controllers: [
        ImagesController,
        ImageDataController,
        ImageTagsController,
        ImageActionsController,
        MembersController,
        InfoController,
        SchemasController,
        VersionsController,
        ImageStoresController,
        ImportController,
        CacheController,
        ImportTriggerHandler,
        healthController('api'),
      ],
      providers: [
        { provide: API_SETTINGS, useValue: apiSettings(config) },
        {
          provide: Stores,
          useFactory: () => openStores(config),
        },
        { provide: APP_FILTER, useFactory: () => new GlanceErrorFilter(allowedMethods) },
        { provide: APP_INTERCEPTOR, useClass: RouteSpanInterceptor },
        RegistryClient,
        {
          provide: PolicyEnforcer,
          inject: [API_SETTINGS],
          useFactory: (s: ApiSettings) => new PolicyEnforcer({ policyFile: s.policyFile, referencedRules: protectionPolicyNames(s) }),
        },
        {
          provide: CallerResolver,
          inject: [API_SETTINGS],
          useFactory: (s: ApiSettings) => new CallerResolver(s.identity),
        },
        PropertyProtections,
        ImageAccess,
        ImageDataService,
        ImageLocations,
        StorageQuota,
        AbandonedUploads,
        ImageFactory,
        StagingArea,
        ImportService,
        ImportPlugins,
        ImportRunner,
        ImportWorker,
        {
          provide: CacheFleet,
          inject: [BusClient, RegistryClient, API_SETTINGS],
          useFactory: (bus: BusClient, registry: RegistryClient, s: ApiSettings) => new CacheFleet(bus, registry, s.cacheNodeTimeoutSeconds),
        },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(HttpMetricsMiddleware, RequestIdMiddleware, MethodGuardMiddleware, VersionNegotiationMiddleware)
      .forRoutes({ path: '{*path}', method: RequestMethod.ALL });
    consumer.apply(IdentityMiddleware, BodyRejectMiddleware).forRoutes({ path: 'v2/*path', method: RequestMethod.ALL });
  }
}
