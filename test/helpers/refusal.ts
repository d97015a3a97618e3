import { expect } from 'vitest';
import { isServiceError } from '../../src/api/client.js';
import { ConductorError } from '../../src/errors.js';

export interface Refusal {
  /** The gRPC status. */
  code: number;
  /** The conductor-error-code trailer. */
  conductorCode: unknown;
  details: string;
}

/** How a call the service should refuse ended; fails the test if it succeeds. */
export async function refusal(call: Promise<unknown>): Promise<Refusal> {
  try {
    await call;
  } catch (err) {
    if (!isServiceError(err)) throw err;
    return { code: err.code, conductorCode: err.metadata.get('conductor-error-code')[0], details: err.details };
  }
  throw new Error('the call succeeded; it should have been refused');
}

/** The ConductorError a domain call rejects with; fails the test if it resolves or rejects with anything else. */
export async function conductorRefusal(work: Promise<unknown>): Promise<ConductorError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConductorError);
  return error as ConductorError;
}
