/**
 * spdk-conductor spdk info | spdk call: spdk_tgt as the running service sees it, and one raw
 * JSON-RPC call over the service's connection (like SPDK's rpc.py), for diagnosis. Nothing here
 * starts a simulator or opens spdk_tgt's socket itself.
 */
import { invoke } from '../../api/client.js';
import { EXIT } from '../exit-codes.js';
import type { CommandSpec } from './context.js';
import { fields, json } from './format.js';
import { UsageError } from './usage.js';

export const spdkCommands: CommandSpec[] = [
  {
    name: 'spdk info',
    args: [],
    options: [],
    usage: "spdk info   (the running service's spdk_tgt: version, simulator or not, and every method it offers)",
    prepare() {
      return async ({ api, call, out, json: asJson }) => {
        const info = await invoke(api.node, 'SpdkInfo', {}, call);
        const simulator = info.simulatorName ? { name: info.simulatorName, version: info.simulatorVersion } : null;
        if (asJson) {
          out(json({ version: info.version, simulator, methods: info.methods }));
          return EXIT.OK;
        }
        out(
          fields([
            ['spdk_tgt', info.version],
            ['simulator', simulator ? `${simulator.name} ${simulator.version}` : 'no'],
            ['methods', info.methods.length],
          ]) + info.methods.map((m) => `  ${m}\n`).join(''),
        );
        return EXIT.OK;
      };
    },
  },
  {
    name: 'spdk call',
    args: ['METHOD'],
    optionalArgs: ['PARAMS_JSON'],
    options: ['allow-mutating'],
    usage: "spdk call METHOD ['{JSON params}'] [--allow-mutating]   (one raw call through the service; methods that may change state need --allow-mutating)",
    prepare(values, [method, params]) {
      if (params !== undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(params);
        } catch (err) {
          throw new UsageError(`the params of ${method} are not JSON: ${(err as Error).message}`);
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`the params of ${method} must be a JSON object, e.g. '{"name": "Malloc0"}'`);
      }
      return async ({ api, call, out }) => {
        const response = await invoke(api.node, 'SpdkCall', { method: method!, paramsJson: params ?? '', allowMutating: Boolean(values['allow-mutating']) }, call);
        // rpc.py prints the result as indented JSON whatever the output mode: so does this.
        out(json(JSON.parse(response.resultJson)));
        return EXIT.OK;
      };
    },
  },
];
