import { Controller, Get, Inject } from '@nestjs/common';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { imageSchema, imagesSchema } from '../images/image-schema';

/** /v2/schemas/image and /v2/schemas/images, the raw JSON schemas glanceclient builds its CLI from. */
@Controller('v2/schemas')
export class SchemasController {
  private readonly image: Record<string, unknown>;
  private readonly images: Record<string, unknown>;

  constructor(@Inject(API_SETTINGS) settings: ApiSettings) {
    this.image = imageSchema(settings.diskFormats, settings.containerFormats);
    this.images = imagesSchema(this.image);
  }

  @Get('image')
  imageSchema(): Record<string, unknown> {
    return this.image;
  }

  @Get('images')
  imagesSchema(): Record<string, unknown> {
    return this.images;
  }
}
