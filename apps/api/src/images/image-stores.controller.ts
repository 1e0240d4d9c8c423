import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { RegistryClient } from '@glimpse/bus';
import { type CallerContext, RegistrySubjects, conflict, forbidden, notFound } from '@glimpse/contracts';
import { Stores } from '@glimpse/stores';
import { Caller } from '../identity/caller.decorator';
import { ImageAccess } from './image-access';
import { ImageDataService } from './image-data.service';
import { ImageLocations } from './image-locations';

/** DELETE /v2/stores/{store}/{image}: removes an image's data from one store (multi-store). */
@Controller('v2/stores')
export class ImageStoresController {
  constructor(
    private readonly stores: Stores,
    private readonly access: ImageAccess,
    private readonly locations: ImageLocations,
    private readonly registry: RegistryClient,
    private readonly data: ImageDataService,
  ) {}

  @Delete(':storeId/:imageId')
  @HttpCode(204)
  async deleteFromStore(@Caller() caller: CallerContext, @Param('storeId') storeId: string, @Param('imageId') imageId: string): Promise<void> {
    if (!this.stores.multiStore) throw notFound('Multi backend is not supported at this site.');
    if (!this.stores.find(storeId)) throw conflict(`The selected store ${storeId} is not available on this node.`);
    const image = await this.access.authorized(caller, imageId, 'delete_image_location');
    if (image.status !== 'active') throw conflict("It's not allowed to remove image data from store if image status is not 'active'");
    const current = image.locations.filter((l) => l.status === 'active');
    if (current.length === 1) {
      throw forbidden('Cannot delete image data from the only store containing it. Consider deleting the image instead if you want to remove all image data');
    }
    const position = current.findIndex((l) => this.locations.storeIdOf(l) === storeId);
    if (position < 0) throw notFound(`Image ${imageId} is not stored in store ${storeId}.`);
    const kept = current.filter((_, i) => i !== position).map(({ url, metadata }) => ({ url, metadata }));
    const reply = await this.registry.request(RegistrySubjects.setLocations, { caller, id: imageId, expectedStatus: 'active', locations: kept });
    await this.data.deleteData(imageId, reply.dropped);
  }
}
