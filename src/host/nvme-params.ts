/**
 * The host kernel's nvme parameters that the timeout budget races against. The io_timeout is a
 * module parameter of nvme_core, not an `nvme connect` flag: the host's value is whatever the
 * module was loaded with, so it is read from sysfs rather than trusted from configuration.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { ConductorError } from '../errors.js';

/** Relative to the sysfs root's parent, so tests can point `root` at a temporary directory. */
export const NVME_IO_TIMEOUT_PATH = 'sys/module/nvme_core/parameters/io_timeout';

/**
 * nvme_core's io_timeout in seconds, or undefined when the module is not loaded (or this is not
 * Linux), so that configuration decides. A file that exists but does not hold a whole number of
 * seconds is an error: guessing would defeat the budget it feeds.
 */
export async function readHostIoTimeout(root = '/'): Promise<number | undefined> {
  const file = path.join(root, NVME_IO_TIMEOUT_PATH);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ConductorError('HOST_NVME_UNAVAILABLE', `cannot read the host's nvme io_timeout from ${file}: ${code ?? String(err)}`, { file }, { cause: err });
  }
  const value = text.trim();
  const seconds = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(seconds)) {
    throw new ConductorError('HOST_NVME_UNAVAILABLE', `the host's nvme io_timeout in ${file} is ${JSON.stringify(value.slice(0, 40))}, not a whole number of seconds`, {
      file,
      content: value.slice(0, 40),
    });
  }
  return seconds;
}
