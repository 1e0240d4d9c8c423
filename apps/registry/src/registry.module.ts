import { type DynamicModule, Module } from '@nestjs/common';
import type { GlimpseConfig } from '@glimpse/config';
import { BusModule, type BusOptions, healthController } from '@glimpse/bus';
import { DatabaseModule } from './database/database.module';
import { ImageCatalog } from './images/image-catalog';
import { ImageReader } from './images/image-reader';
import { ImageEventPublisher } from './images/image-events';
import { ImagesHandler } from './images/images.handler';
import { MemberCatalog } from './members/member-catalog';
import { MembersHandler } from './members/members.handler';
import { ScrubCatalog } from './scrub/scrub-catalog';
import { ScrubHandler } from './scrub/scrub.handler';
import { ImportCatalog } from './tasks/import-catalog';
import { ImportHandler } from './tasks/import.handler';

@Module({})
export class RegistryModule {
  static forRoot(config: GlimpseConfig, bus: BusOptions): DynamicModule {
    return {
      module: RegistryModule,
      imports: [DatabaseModule.forRoot(config), BusModule.forRoot(bus)],
      controllers: [ImagesHandler, MembersHandler, ScrubHandler, ImportHandler, healthController('registry')],
      providers: [ImageReader, ImageCatalog, ImageEventPublisher, MemberCatalog, ScrubCatalog, ImportCatalog],
    };
  }
}
