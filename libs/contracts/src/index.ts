export * from './errors';
export * from './images';
export * from './registry.contract';
export * from './events.contract';
export * from './health.contract';
export * from './members.contract';
export * from './scrub.contract';
export * from './import.contract';
