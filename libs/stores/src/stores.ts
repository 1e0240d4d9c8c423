import { FilesystemStore } from './filesystem.store';
import type { StoreDriver } from './store.driver';
import { StoreError } from './store.errors';

/**
 * The enabled drivers, found by location scheme; new data goes to the default store.
 * (Multi-store with enabled_backends comes with the stores issue.)
 */
export class Stores {
  constructor(
    private readonly drivers: readonly StoreDriver[],
    private readonly defaultName: string,
  ) {}

  get default(): StoreDriver {
    const driver = this.drivers.find((d) => d.name === this.defaultName);
    if (!driver) throw new Error(`default_store=${this.defaultName} is not among the enabled stores`);
    return driver;
  }

  forLocation(location: string): StoreDriver {
    const colon = location.indexOf(':');
    const scheme = colon < 0 ? '' : location.slice(0, colon);
    const driver = this.drivers.find((d) => d.schemes.includes(scheme));
    if (!driver) throw new StoreError('invalid_location', `No store is enabled for location scheme "${scheme}"`);
    return driver;
  }
}

export interface StoreSettings {
  filesystemStoreDatadir: string;
  defaultStore: string;
}

/** The enabled stores, each checked at start (a directory that cannot be written stops the app). */
export async function openStores(settings: StoreSettings): Promise<Stores> {
  const file = new FilesystemStore(settings.filesystemStoreDatadir);
  await file.prepare();
  return new Stores([file], settings.defaultStore);
}
