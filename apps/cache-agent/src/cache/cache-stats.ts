import { Injectable } from '@nestjs/common';
import { PassThrough, type Readable } from 'node:stream';

/** What an operator asks of a cache: hits, misses, and where the served bytes came from. */
@Injectable()
export class CacheStats {
  hits = 0;
  misses = 0;
  /** Reads of an image from its store: one per fill, however many clients waited for it. */
  originReads = 0;
  bytesFromCache = 0;
  bytesFromOrigin = 0;

  countHit(stream: Readable): void {
    this.hits++;
    stream.on('data', (chunk: Buffer) => (this.bytesFromCache += chunk.length));
  }

  /** Origin bytes a cache fill wrote (it counts them itself: no extra stream on the fill path). */
  addOriginBytes(bytes: number): void {
    this.bytesFromOrigin += bytes;
  }

  /** Counts the origin's bytes as they pass (a listener on the source would race the consumer). */
  countOrigin(stream: Readable): Readable {
    const counted = new PassThrough({ highWaterMark: 1024 * 1024 });
    counted.on('data', (chunk: Buffer) => (this.bytesFromOrigin += chunk.length));
    stream.once('error', (error) => counted.destroy(error));
    return stream.pipe(counted);
  }

  snapshot(): Record<string, number> {
    return {
      hits: this.hits,
      misses: this.misses,
      origin_reads: this.originReads,
      bytes_from_cache: this.bytesFromCache,
      bytes_from_origin: this.bytesFromOrigin,
    };
  }
}
