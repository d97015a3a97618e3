/**
 * Reading the host's nvme_core io_timeout from sysfs, with a temporary directory as its root.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConductorError } from '../../src/errors.js';
import { NVME_IO_TIMEOUT_PATH, readHostIoTimeout } from '../../src/host/nvme-params.js';

const roots: string[] = [];

function sysfsRoot(ioTimeout?: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conductor-sysfs-'));
  roots.push(root);
  if (ioTimeout !== undefined) {
    const file = path.join(root, NVME_IO_TIMEOUT_PATH);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, ioTimeout);
  }
  return root;
}

afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

describe('readHostIoTimeout', () => {
  it('reads the value the kernel prints, newline and all', async () => {
    expect(await readHostIoTimeout(sysfsRoot('30\n'))).toBe(30);
    expect(await readHostIoTimeout(sysfsRoot('4294967295\n'))).toBe(4294967295);
  });

  it('is undefined when nvme_core is not loaded, so configuration decides', async () => {
    expect(await readHostIoTimeout(sysfsRoot())).toBeUndefined();
    expect(await readHostIoTimeout(path.join(sysfsRoot(), 'no', 'such', 'root'))).toBeUndefined();
  });

  it('refuses a value that is not a whole number of seconds, naming the file and the value', async () => {
    for (const bad of ['', 'thirty\n', '-1\n', '2.5\n']) {
      const root = sysfsRoot(bad);
      const err = await readHostIoTimeout(root).catch((e: unknown) => e);
      expect(err, JSON.stringify(bad)).toBeInstanceOf(ConductorError);
      expect((err as ConductorError).code).toBe('HOST_NVME_UNAVAILABLE');
      expect((err as Error).message).toBe(`the host's nvme io_timeout in ${path.join(root, NVME_IO_TIMEOUT_PATH)} is ${JSON.stringify(bad.trim())}, not a whole number of seconds`);
    }
  });

  it('reports a file it cannot read rather than guessing', async () => {
    const root = sysfsRoot();
    fs.mkdirSync(path.join(root, NVME_IO_TIMEOUT_PATH), { recursive: true });
    await expect(readHostIoTimeout(root)).rejects.toThrow(/cannot read the host's nvme io_timeout from .*io_timeout: EISDIR/);
  });
});
