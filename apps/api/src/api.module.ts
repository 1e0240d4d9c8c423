import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { GlimpseConfig } from '@glimpse/config';
import { BusModule, type BusOptions, healthController } from '@glimpse/bus';
import { Stores, openStores } from '@glimpse/stores';
import { API_SETTINGS, apiSettings } from './api.settings';
import { GlanceErrorFilter } from './http/glance-error.filter';
import { BodyRejectMiddleware } from './http/body-reject.middleware';
import { MethodGuardMiddleware } from './http/method-guard.middleware';
import { RequestIdMiddleware } from './http/request-id.middleware';
import { IdentityMiddleware } from './identity/identity.middleware';
import { ImageAccess } from './images/image-access';
import { ImageActionsController } from './images/image-actions.controller';
import { ImageDataController } from './images/image-data.controller';
import { ImageLocations } from './images/image-locations';
import { ImageDataService } from './images/image-data.service';
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
import { PolicyEnforcer } from './policy/policy-enforcer';
import { PropertyProtections } from './policy/property-protections';
import { RegistryClient } from './registry/registry.client';
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
        ImportTriggerHandler,
        healthController('api'),
      ],
      providers: [
        { provide: API_SETTINGS, useValue: apiSettings(config) },
        {
          provide: Stores,
          useFactory: () => openStores(config),
        },
        { provide: APP_FILTER, useClass: GlanceErrorFilter },
        RegistryClient,
        PolicyEnforcer,
        PropertyProtections,
        ImageAccess,
        ImageDataService,
        ImageLocations,
        StagingArea,
        ImportService,
        ImportPlugins,
        ImportRunner,
        ImportWorker,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(RequestIdMiddleware, MethodGuardMiddleware, VersionNegotiationMiddleware)
      .forRoutes({ path: '{*path}', method: RequestMethod.ALL });
    consumer.apply(IdentityMiddleware, BodyRejectMiddleware).forRoutes({ path: 'v2/*path', method: RequestMethod.ALL });
  }
}
