import './telemetry';
import 'reflect-metadata';

/** Loaded by bin/glimpse.js, which runs every app in one process over the in-process bus. */
export { start } from './start';
/** The launcher reads the one configuration all embedded apps share through the API's loader. */
export { loadConfig } from '@glimpse/config';
