import { type DynamicModule, Module } from '@nestjs/common';
import type { GlimpseConfig } from '@glimpse/config';
import { BusModule, type BusOptions, healthController } from '@glimpse/bus';
import { DatabaseModule } from './database/database.module';
import { ImageCatalog } from './images/image-catalog';
import { ImagesHandler } from './images/images.handler';

@Module({})
export class RegistryModule {
  static forRoot(config: GlimpseConfig, bus: BusOptions): DynamicModule {
    return {
      module: RegistryModule,
      imports: [DatabaseModule.forRoot(config), BusModule.forRoot(bus)],
      controllers: [ImagesHandler, healthController('registry')],
      providers: [ImageCatalog],
    };
  }
}
