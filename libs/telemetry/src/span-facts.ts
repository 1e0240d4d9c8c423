import { trace } from '@opentelemetry/api';

/** What a span did to which image, under one set of attribute names for every app. */
export interface SpanFacts {
  imageId?: string;
  /** Bytes of the image (or of the part served). */
  size?: number | null;
  /** The store id (`enabled_backends` name, or the default store's). */
  store?: string;
  /** The cache node. */
  node?: string;
  /** How a cache agent served it: hit, fill (a miss filling the cache) or origin (straight from the store). */
  cache?: 'hit' | 'fill' | 'origin';
}

const NAMES: Record<keyof SpanFacts, string> = {
  imageId: 'glimpse.image.id',
  size: 'glimpse.image.size',
  store: 'glimpse.store.id',
  node: 'glimpse.cache.node',
  cache: 'glimpse.cache.result',
};

/** Records the facts on the active span (the HTTP request, the bus handler or the job), if any. */
export function recordSpanFacts(facts: SpanFacts): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  for (const [key, value] of Object.entries(facts)) {
    if (value !== undefined && value !== null) span.setAttribute(NAMES[key as keyof SpanFacts], value);
  }
}
