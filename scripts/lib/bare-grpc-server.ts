/**
 * The floor under the service's CPU per call: a grpc-js server with the API's own protos, server
 * options and transport, whose ReplicaCreate does nothing (answers an empty Replica). What it
 * spends per call is grpc-js, HTTP/2 and protobuf alone; bench:replicas runs it as a child process
 * and subtracts it from the service's figure.
 *
 *   node dist/scripts/lib/bare-grpc-server.js --socket PATH
 */
import { parseArgs } from 'node:util';
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadProtos } from '../../src/api/proto.js';
import { REQUEST_MAX_BYTES } from '../../src/validation/limits.js';

const { values } = parseArgs({ options: { socket: { type: 'string' } } });
if (!values.socket) throw new Error('--socket PATH is required');

const replicas = loadProtos().grpcObject.spdk.conductor.v1.Replicas.service as ServiceDefinition;
// The service's own server options (src/api/server.ts), so only the handler differs.
const server = new Server({ 'grpc.enable_channelz': 0, 'grpc.max_receive_message_length': REQUEST_MAX_BYTES });
const handlers: UntypedServiceImplementation = { ReplicaCreate: (_call: unknown, callback: (err: null, reply: object) => void) => callback(null, {}) };
server.addService(replicas, handlers);
server.bindAsync(`unix:${values.socket}`, ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
});
process.on('SIGTERM', () => server.forceShutdown());
