export * from './store.driver';
export * from './store.errors';
export * from './checksum.stream';
export * from './filesystem.store';
export * from './stores';
