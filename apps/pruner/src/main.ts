import './telemetry';
import 'reflect-metadata';
import { runStandalone } from '@glimpse/bus';
import { start } from './start';

runStandalone('pruner', start);
