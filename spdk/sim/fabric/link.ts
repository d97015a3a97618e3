/**
 * One SIMF connection (a qpair) over a real TCP socket, used by both sides. It frames the stream
 * and can be "blackholed": a stalled peer keeps the TCP connection open but neither answers nor
 * reads, so frames (and the news of a close) are held back until the stall ends.
 */
import type { Socket } from 'node:net';
import { encodeFrame, FrameReader, type Frame } from './protocol.js';

export type FrameHandler = (frame: Frame) => void;

export class Link {
  private readonly reader = new FrameReader();
  private onFrameHandler: FrameHandler = () => {};
  private onCloseHandlers: Array<() => void> = [];
  private stalled = false;
  private heldIn: Frame[] = [];
  private heldOut: Buffer[] = [];
  private closeHeld = false;
  private closed = false;

  constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.reader.push(chunk);
      } catch {
        this.close();
        return;
      }
      for (const frame of frames) {
        if (this.stalled) this.heldIn.push(frame);
        else this.onFrameHandler(frame);
      }
    });
    // A reset by the peer is just another way for the connection to end.
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.stalled) this.closeHeld = true;
      else this.fireClose();
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get remotePort(): number {
    return this.socket.remotePort ?? 0;
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  onFrame(handler: FrameHandler): void {
    this.onFrameHandler = handler;
  }

  onClose(handler: () => void): void {
    if (this.closed) handler();
    else this.onCloseHandlers.push(handler);
  }

  send(opcode: number, id: number, status: number, payload?: Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    const bytes = encodeFrame(opcode, id, status, payload);
    if (this.stalled) this.heldOut.push(bytes);
    else this.socket.write(bytes);
  }

  /** Stops (or resumes) processing in both directions; held traffic flows again on resume. */
  setStalled(stalled: boolean): void {
    if (this.stalled === stalled) return;
    this.stalled = stalled;
    if (stalled) return;
    const outgoing = this.heldOut;
    this.heldOut = [];
    for (const bytes of outgoing) if (!this.socket.destroyed) this.socket.write(bytes);
    const incoming = this.heldIn;
    this.heldIn = [];
    for (const frame of incoming) this.onFrameHandler(frame);
    if (this.closeHeld) this.fireClose();
  }

  /** Puts `frame` back to be handled first when the stall ends (the stall began while handling it). */
  defer(frame: Frame): void {
    this.heldIn.unshift(frame);
  }

  /** Closes now (a cut), without waiting for buffered writes. */
  close(): void {
    this.socket.destroy();
    this.fireClose();
  }

  private fireClose(): void {
    if (this.closed) return;
    this.closed = true;
    const handlers = this.onCloseHandlers;
    this.onCloseHandlers = [];
    for (const handler of handlers) handler();
  }
}
