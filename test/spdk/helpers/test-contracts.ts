/**
 * Contracts for client tests that must not depend on the real rpc-schemas: a few methods with
 * the properties the client acts on (idempotent, objectKey, params schema, deadline class).
 */
import { Ajv } from 'ajv';
import type { MethodContract } from '../../../src/spdk/contracts.js';

const ajv = new Ajv({ allErrors: true });

interface Spec {
  idempotent?: boolean;
  objectKey?: string[];
  deadline?: 'normal' | 'slow';
  params?: Record<string, unknown>;
  required?: string[];
}

function contract(method: string, spec: Spec): MethodContract {
  const properties = spec.params ?? {};
  const validate = ajv.compile({ type: 'object', properties, required: spec.required ?? [], additionalProperties: false });
  return {
    method,
    summary: method,
    idempotent: spec.idempotent ?? false,
    deadline: spec.deadline ?? 'normal',
    objectKey: spec.objectKey ?? [],
    takesParams: Object.keys(properties).length > 0,
    validateParams: (params) => (validate(params) ? undefined : (validate.errors ?? []).map((e) => `${e.instancePath || 'params'} ${e.message ?? ''}`)),
    validateResult: () => undefined,
    verdict: () => undefined,
  };
}

export function testContracts(): ReadonlyMap<string, MethodContract> {
  const list = [
    contract('spdk_get_version', { idempotent: true }),
    contract('rpc_get_methods', { idempotent: true, params: { current: { type: 'boolean' } } }),
    contract('bdev_get_bdevs', { idempotent: true, params: { name: { type: 'string' }, timeout: { type: 'integer', minimum: 0 } } }),
    contract('bdev_lvol_create', {
      objectKey: ['lvs_name', 'lvol_name'],
      params: { lvol_name: { type: 'string' }, size_in_mib: { type: 'integer', minimum: 0 }, lvs_name: { type: 'string' }, thin_provision: { type: 'boolean' } },
      required: ['lvol_name', 'size_in_mib'],
    }),
    contract('nvmf_create_subsystem', { objectKey: ['nqn'], params: { nqn: { type: 'string' } }, required: ['nqn'] }),
    contract('nvmf_subsystem_add_ns', { objectKey: ['nqn'], params: { nqn: { type: 'string' }, namespace: { type: 'object' } }, required: ['nqn', 'namespace'] }),
    contract('bdev_get_many', { params: { names: { type: 'array' } } }),
    contract('slow_method', { deadline: 'slow' }),
  ];
  return new Map(list.map((c) => [c.method, c]));
}
