// A byte stream over a WebSocket, for the container streams between the manager and an agent
// (docs/containers.md): binary frames carry bytes, a text frame "eof" ends the sender's side
// (a half-close: stdin ended, output goes on). Reading is paced by the consumer (the socket is
// paused while the buffer is full) and every write waits for its frame to reach the socket, so
// either end's TCP backpressure reaches the other. A clean close (1000) ends the reading side;
// any other close, or an error, destroys the stream. Destroying it closes the socket.

import { Duplex } from 'node:stream';
import type WebSocket from 'ws';

const EOF = 'eof';

export class WsStream extends Duplex {
  #closed = false;

  constructor(
    private readonly ws: WebSocket,
    /** Largest frame sent: longer writes are cut. */
    private readonly maxFrame: number,
  ) {
    super({ allowHalfOpen: true });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        if (data.toString() === EOF) this.push(null);
        return;
      }
      if (!this.push(data)) ws.pause();
    });
    ws.on('close', (code: number) => {
      this.#closed = true;
      if (code === 1000) this.push(null);
      else this.destroy(new Error(`stream closed (${code})`));
    });
    ws.on('error', (err) => this.destroy(err));
  }

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    // Bytes for a peer that has closed have nowhere to go (stdin to an exec that ended).
    if (this.#closed) return cb();
    const frames: Buffer[] = [];
    for (let at = 0; at < chunk.length; at += this.maxFrame) frames.push(chunk.subarray(at, at + this.maxFrame));
    let left = frames.length;
    if (left === 0) return cb();
    let failed = false;
    for (const f of frames) {
      this.ws.send(f, { binary: true }, (err) => {
        if (failed) return;
        if (err) return void ((failed = true), cb(err));
        if (--left === 0) cb();
      });
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.#closed) return cb();
    this.ws.send(EOF, (err) => cb(err));
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      if (err) this.ws.terminate();
      else this.ws.close(1001, 'stream ended');
    }
    cb(err);
  }

  /** close ends the stream cleanly once what was written has gone out (the side that ends it). */
  close(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000, 'done');
  }
}
