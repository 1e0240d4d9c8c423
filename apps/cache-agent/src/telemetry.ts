// Imported first by main.ts and embedded.ts, so the SDK is running before http is loaded.
import { loadTelemetrySettings } from '@glimpse/config';
import { startTelemetry } from '@glimpse/telemetry';

startTelemetry({ service: 'cache-agent', settings: loadTelemetrySettings() });
