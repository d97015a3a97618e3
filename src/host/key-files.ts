/**
 * The files spdk_tgt's keyring_file module reads secrets from: one file per key in a directory of
 * mode 0700, each created with mode 0600 in the same open() that makes it (never widened, never
 * chmod-ed after the secret is in it). spdk_tgt refuses a key file that is not 0600, not absolute
 * or not owned by its own user, and reads it again every time the key is used, so a file may be
 * deleted only once spdk_tgt no longer lists its key.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

export class KeyFiles {
  /** `dir` must be absolute: spdk_tgt refuses relative key paths. */
  constructor(readonly dir: string) {
    if (!path.isAbsolute(dir)) throw new Error(`the key directory must be an absolute path, got ${dir}`);
  }

  pathOf(name: string): string {
    return path.join(this.dir, name);
  }

  /**
   * Makes the file of key `name` hold `secret`. A file already there with the same content and
   * mode is kept (the same secret has the same name); anything else there (a write cut short by a
   * crash) is replaced.
   */
  async write(name: string, secret: string): Promise<string> {
    await this.ensureDir();
    const file = this.pathOf(name);
    if (await this.holds(file, secret)) return file;
    await fsp.rm(file, { force: true });
    // O_CREAT|O_EXCL with the final mode: the secret is never in a file anyone else could open.
    const handle = await fsp.open(file, 'wx', FILE_MODE);
    try {
      await handle.writeFile(secret);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return file;
  }

  async remove(name: string): Promise<void> {
    await fsp.rm(this.pathOf(name), { force: true });
  }

  /** The names of the key files present (none when the directory does not exist). */
  async list(): Promise<string[]> {
    try {
      return (await fsp.readdir(this.dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  private async ensureDir(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true, mode: DIR_MODE });
    // A directory made by someone else with a wider mode is narrowed (it holds no secret yet
    // that the narrowing could come too late for: files in it are 0600 on their own).
    const stat = await fsp.stat(this.dir);
    if ((stat.mode & 0o777) !== DIR_MODE) await fsp.chmod(this.dir, DIR_MODE);
  }

  private async holds(file: string, secret: string): Promise<boolean> {
    try {
      const stat = await fsp.stat(file);
      if (!stat.isFile() || (stat.mode & 0o777) !== FILE_MODE || stat.size !== Buffer.byteLength(secret)) return false;
      return (await fsp.readFile(file, 'utf8')) === secret;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}
