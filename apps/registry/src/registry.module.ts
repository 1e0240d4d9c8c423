import { type DynamicModule, Module } from '@nestjs/common';
import type { GlimpseConfig } from '@glimpse/config';
import { BusModule, type BusOptions, READINESS_CHECKS, type ReadinessCheck, healthController, openWorkQueue, workQueueFile } from '@glimpse/bus';
import type { ScrubJob } from '@glimpse/contracts';
import { DataSource } from 'typeorm';
import { CacheNodesHandler } from './cache/cache-nodes.handler';
import { DatabaseModule } from './database/database.module';
import { ImageCatalog } from './images/image-catalog';
import { UploadLiveness } from './images/upload-liveness';
import { ImageReader } from './images/image-reader';
import { ImageEventPublisher } from './images/image-events';
import { ImagesHandler } from './images/images.handler';
import { MemberCatalog } from './members/member-catalog';
import { MembersHandler } from './members/members.handler';
import { ScrubCatalog } from './scrub/scrub-catalog';
import { ScrubHandler } from './scrub/scrub.handler';
import { SCRUB_WORK_QUEUE, ScrubQueue } from './scrub/scrub-queue';
import { ImportCatalog } from './tasks/import-catalog';
import { ImportHandler } from './tasks/import.handler';

@Module({})
export class RegistryModule {
  static forRoot(config: GlimpseConfig, bus: BusOptions): DynamicModule {
    return {
      module: RegistryModule,
      imports: [DatabaseModule.forRoot(config), BusModule.forRoot(bus)],
      controllers: [ImagesHandler, MembersHandler, ScrubHandler, ImportHandler, CacheNodesHandler, healthController('registry')],
      providers: [
        ImageReader,
        ImageCatalog,
        UploadLiveness,
        ImageEventPublisher,
        MemberCatalog,
        ScrubCatalog,
        { provide: SCRUB_WORK_QUEUE, useValue: () => openWorkQueue<ScrubJob>(bus, { file: workQueueFile(config) }) },
        ScrubQueue,
        ImportCatalog,
        {
          provide: READINESS_CHECKS,
          inject: [DataSource],
          useFactory: (db: DataSource): ReadinessCheck[] => [{ name: 'database', check: () => db.query('SELECT 1').then(() => undefined) }],
        },
      ],
    };
  }
}
