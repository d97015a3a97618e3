/** spdk-conductor node info: what the node is, and how its API is secured. */
import { invoke } from '../../api/client.js';
import { EXIT } from '../exit-codes.js';
import type { CommandSpec } from './context.js';
import { fields, json } from './format.js';

export const nodeCommands: CommandSpec[] = [
  {
    name: 'node info',
    args: [],
    options: [],
    usage: 'node info',
    prepare() {
      return async ({ api, call, out, json: asJson }) => {
        const info = await invoke(api.node, 'NodeInfo', {}, call);
        out(
          asJson
            ? json(info)
            : fields([
                ['version', info.version],
                ['spdk', `${info.spdkVersion}${info.simulator ? ' (simulator)' : ''}`],
                ['host nqn', info.hostNqn],
                ['export address', info.exportAddress],
                ['shallow copy', info.shallowCopy ? 'yes' : 'no'],
                ['max subsystems', `${info.maxSubsystems} (${info.maxSubsystemsSource})`],
                ['api tcp', info.apiTcpSecurity || 'off'],
                ['client certificate', info.apiTcpClientCertRequired ? 'required' : 'not required'],
              ]),
        );
        return EXIT.OK;
      };
    },
  },
];
