import { processSources } from './load-config';

/**
 * Where the operator CLIs find Glimpse and which token they send: OpenStack's client variables
 * (OS_IMAGE_URL, OS_AUTH_TOKEN) and GLIMPSE_API_URL, read here like every other setting. They are
 * a client's, not options of a Glimpse process, so they are not in the option table.
 */
export interface ClientSettings {
  apiUrl: string;
  authToken: string | null;
}

export function loadClientSettings(env: Readonly<Record<string, string | undefined>> = processSources().env): ClientSettings {
  return {
    apiUrl: env['GLIMPSE_API_URL'] || env['OS_IMAGE_URL'] || 'http://127.0.0.1:9292',
    authToken: env['OS_AUTH_TOKEN'] || null,
  };
}
