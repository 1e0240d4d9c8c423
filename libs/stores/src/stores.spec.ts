import { FilesystemStore } from './filesystem.store';
import type { StoreDriver } from './store.driver';
import { Stores } from './stores';

const file = new FilesystemStore('/tmp/glimpse-stores-spec');
const http = { name: 'http', schemes: ['http', 'https'], capabilities: { read: true, write: false, randomAccess: false } } as unknown as StoreDriver;
const stores = new Stores([file, http], 'file');

describe('Stores', () => {
  it.each([
    ['file:///var/lib/glimpse/images/x', file],
    ['filesystem:///var/lib/glimpse/images/x', file],
    ['https://images.example/x', http],
    ['http://images.example/x', http],
  ])('picks the driver for %s by scheme', (location, driver) => {
    expect(stores.forLocation(location)).toBe(driver);
  });

  it.each([
    ['swift://container/x', 'swift'],
    ['filex', ''],
    ['', ''],
  ])('refuses %p, a location no enabled store has the scheme of', (location, scheme) => {
    expect(() => stores.forLocation(location)).toThrow(expect.objectContaining({
      failure: 'invalid_location',
      message: `No store is enabled for location scheme "${scheme}"`,
    }));
  });

  it('writes new data to the default store and names a missing one', () => {
    expect(stores.default).toBe(file);
    expect(() => new Stores([http], 'file').default).toThrow('default_store=file is not among the enabled stores');
  });
});
