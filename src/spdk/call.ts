/** What a typed method wrapper needs from the client: one call, options per call. */

export interface CallOptions {
  /** Milliseconds until the call fails with a `timeout` transport error. Default per method. */
  deadlineMs?: number;
  /** Aborts the call: it rejects at once and its late answer is dropped. */
  signal?: AbortSignal;
}

export interface SpdkCaller {
  /**
   * Sends one JSON-RPC call to spdk_tgt. Params are validated against
   * rpc-schemas/spdk/<method>.json first; a bad request never reaches the socket.
   * Rejects with SpdkRpcError, SpdkTransportError or SpdkParamsError (src/errors.ts).
   */
  call<T = unknown>(method: string, params?: object, options?: CallOptions): Promise<T>;
}
