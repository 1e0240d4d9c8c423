/** The OpenTelemetry variables Glimpse itself looks at (the SDK reads the rest of OTEL_*). */
export interface TelemetrySettings {
  /** OTLP/HTTP endpoint; traces are exported only when it is set. */
  otlpEndpoint: string | null;
  disabled: boolean;
}

export function loadTelemetrySettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
): TelemetrySettings {
  return {
    otlpEndpoint: env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT'] || null,
    disabled: env['OTEL_SDK_DISABLED'] === 'true',
  };
}
