export * from './options';
export * from './option';
export { loadConfig, ConfigError, declaredOptions, envName, configFiles, processSources, type ConfigSources } from './load-config';
export { parseIni } from './ini';
export * from './telemetry-settings';
export * from './client-settings';
export { configReference, sampleConfig } from './config-reference';
