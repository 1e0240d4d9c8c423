import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { type BodyWriter, discard } from './swift-http';
import type { SwiftObject } from './swift-location';

/** How one upload's bytes are cut into Swift objects. */
export interface PartPlan {
  /** Bytes per part; Infinity when the image is one object. */
  partSize: number;
  /** The announced size, if any: parts then carry Content-Length instead of chunked encoding. */
  totalSize?: number;
  /**
   * Keeps the last byte of a single object back until the source has ended: with Content-Length
   * met Swift would store the object at once, before the ChecksumStream has seen whether more
   * bytes follow than were announced.
   */
  holdLastByte: boolean;
  /** Sends the headers of part `index` (0-based) and resolves once Swift asks for its body. */
  open(index: number, length: number | undefined): Promise<{ target: SwiftObject; body: BodyWriter }>;
  /** The error for a part Swift did not store. */
  failureOf(response: IncomingMessage, target: SwiftObject): Promise<Error>;
}

export interface WrittenPart {
  target: SwiftObject;
  etag: string;
  size: number;
}

interface OpenPart {
  target: SwiftObject;
  body: BodyWriter;
  length: number;
  bytes: number;
}

/**
 * Receives an upload's bytes and streams them to Swift as consecutive parts, one request at a
 * time with backpressure, each opened when its first byte arrives.
 */
export class PartsWritable extends Writable {
  readonly written: WrittenPart[] = [];
  /** Every part whose body was begun, stored or not: what a failed upload has to delete. */
  readonly started: SwiftObject[] = [];
  private current: OpenPart | null = null;
  private held: Buffer | null = null;
  private bytesBefore = 0;

  constructor(private readonly plan: PartPlan) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.take(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.closeLast().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.current?.body.abort();
    this.current = null;
    callback(error);
  }

  private async take(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0) {
      if (this.held) throw new Error('more bytes arrived than were announced');
      const part = this.current ?? (await this.openNext());
      const piece = rest.subarray(0, part.length - part.bytes);
      rest = rest.subarray(piece.length);
      if (this.plan.holdLastByte && part.bytes + piece.length === part.length) {
        await this.send(part, piece.subarray(0, piece.length - 1));
        this.held = piece.subarray(piece.length - 1);
      } else {
        await this.send(part, piece);
        if (part.bytes === part.length) await this.close(part);
      }
    }
  }

  private async closeLast(): Promise<void> {
    if (!this.current) return;
    if (this.held) await this.send(this.current, this.held);
    this.held = null;
    await this.close(this.current);
  }

  private async openNext(): Promise<OpenPart> {
    const { partSize, totalSize } = this.plan;
    const length = totalSize === undefined ? undefined : Math.min(partSize, totalSize - this.bytesBefore);
    const { target, body } = await this.plan.open(this.started.length, length);
    this.started.push(target);
    this.current = { target, body, length: length ?? partSize, bytes: 0 };
    return this.current;
  }

  private async send(part: OpenPart, piece: Buffer): Promise<void> {
    if (piece.length === 0) return;
    await part.body.write(piece);
    part.bytes += piece.length;
  }

  private async close(part: OpenPart): Promise<void> {
    const response = await part.body.finish();
    this.current = null;
    this.bytesBefore += part.bytes;
    if (response.statusCode !== 201) throw await this.plan.failureOf(response, part.target);
    discard(response);
    this.written.push({ target: part.target, etag: String(response.headers.etag ?? '').replace(/"/g, ''), size: part.bytes });
  }
}
