import { Inject, Injectable } from '@nestjs/common';
import type { ImageRecord } from '@glimpse/contracts';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { assertSafe, inspectImage } from '../formats/format-inspector';
import { convertImage } from './image-conversion';
import { StagingArea } from './staging-area';

export interface PreparedImage {
  virtualSize: number | null;
  /** Set when a plugin changed the format (image_conversion). */
  diskFormat?: string;
}

/**
 * What happens to imported data before it is stored: the format inspector always (a dangerous or
 * mislabelled image never reaches a store), then the configured plugins (image_conversion).
 */
@Injectable()
export class ImportPlugins {
  constructor(
    private readonly staging: StagingArea,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  async run(imageId: string, image: ImageRecord, path: string): Promise<PreparedImage> {
    const inspected = await inspectImage(path);
    assertSafe(inspected, image.diskFormat ?? 'raw');
    const target = this.settings.conversionFormat;
    if (!this.settings.importPlugins.includes('image_conversion') || inspected.format === target) {
      return { virtualSize: inspected.virtualSize };
    }
    // Glance converts from the declared format; the converter refuses content that is not exactly that.
    const converted = await convertImage({ path, sourceFormat: image.diskFormat ?? 'raw', outputFormat: target, workDir: this.settings.stagingDir });
    await this.staging.replace(imageId, converted.path);
    return { virtualSize: converted.virtualSize, diskFormat: converted.format };
  }
}
