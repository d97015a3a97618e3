/**
 * Method table and the call path of one request: lookup, no-params check, decode, handler,
 * injected RPC delay, and the response text (or none, for a successful notification).
 */
import { SimRpcError, type CallContext, type MethodSpec } from './contract.js';
import { errorText, resultText, INTERNAL_ERROR, INVALID_PARAMS, METHOD_NOT_FOUND, type RpcRequest } from './rpc-request.js';
import { timerMs } from './timer-ms.js';

export type ResponseText = string | null;

/** SPDK_JSONRPC_ERROR_INVALID_STATE and its text for a start-up method once the framework runs. */
const INVALID_STATE = -1;
const STARTUP_ONLY_MESSAGE = 'Method may only be called before framework is initialized. Use --wait-for-rpc command line parameter and then issue this RPC before the framework_start_init RPC.';

export class Dispatcher {
  private readonly methods = new Map<string, MethodSpec>();
  /** sim_rpc_delay: per-method delay in ms; the key '*' applies to every method. */
  private readonly delays = new Map<string, number>();

  constructor(private readonly onBug: (method: string, err: unknown) => void) {}

  register(method: string, spec: MethodSpec): void {
    if (this.methods.has(method)) throw new Error(`RPC method ${method} registered twice`);
    this.methods.set(method, spec);
  }

  has(method: string): boolean {
    return this.methods.has(method);
  }

  spec(method: string): MethodSpec | undefined {
    return this.methods.get(method);
  }

  /**
   * Registration order, newest first, as spdk_tgt's rpc_get_methods lists them; `current` leaves
   * out the methods of the start-up state.
   */
  names(current = false): string[] {
    return [...this.methods]
      .filter(([, spec]) => !(current && spec.startupOnly))
      .map(([name]) => name)
      .reverse();
  }

  setDelay(method: string | undefined, ms: number): void {
    const key = method ?? '*';
    if (ms <= 0) this.delays.delete(key);
    else this.delays.set(key, ms);
  }

  /** Returns the response text (null: no response), or a promise of it for slow calls. */
  handle(req: RpcRequest, ctx: CallContext): ResponseText | Promise<ResponseText> {
    const spec = this.methods.get(req.method);
    if (spec === undefined) return errorText(req.rawId, METHOD_NOT_FOUND, 'Method not found');
    if (spec.startupOnly) return errorText(req.rawId, INVALID_STATE, STARTUP_ONLY_MESSAGE);
    let result: unknown;
    try {
      if (spec.decode === undefined) {
        if (req.params !== undefined) {
          throw new SimRpcError(INVALID_PARAMS, `${req.method} method requires no parameters`);
        }
      } else {
        spec.decode(req.params);
      }
      result = spec.handler(req.params, ctx);
    } catch (err) {
      return this.failure(req, err);
    }
    const delay = this.delays.get(req.method) ?? this.delays.get('*') ?? 0;
    if (!(result instanceof Promise) && delay === 0) return this.success(req, result);
    return (async () => {
      try {
        const value = await result;
        if (delay > 0) await new Promise((r) => setTimeout(r, timerMs(delay)));
        return this.success(req, value);
      } catch (err) {
        if (delay > 0) await new Promise((r) => setTimeout(r, timerMs(delay)));
        return this.failure(req, err);
      }
    })();
  }

  private success(req: RpcRequest, value: unknown): ResponseText {
    return req.rawId === null ? null : resultText(req.rawId, value);
  }

  private failure(req: RpcRequest, err: unknown): ResponseText {
    if (err instanceof SimRpcError) return errorText(req.rawId, err.code, err.message);
    // A simulator bug, not an spdk_tgt behaviour: answer something valid and say so in the log.
    this.onBug(req.method, err);
    return errorText(req.rawId, INTERNAL_ERROR, 'Internal error');
  }
}
