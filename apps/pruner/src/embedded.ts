import './telemetry';
import 'reflect-metadata';

/** Loaded by bin/glimpse.js, which runs every app in one process over the in-process bus. */
export { start } from './start';
