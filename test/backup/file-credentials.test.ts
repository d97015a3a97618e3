/**
 * The credential provider over two files (src/objectstore/file-credentials.ts): it answers the held
 * credentials while the files are unchanged, takes new ones when a file changes, keeps the held
 * ones through a file that is missing or malformed mid-swap (telling it once, without the values),
 * and always says its credentials expire within the SDK's refresh window, so that the SDK asks at
 * every signing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileCredentials } from '../../src/objectstore/file-credentials.js';
import { tempDir } from '../helpers/temp-dir.js';

function files(id: string, secret: string) {
  const dir = tempDir('file-creds-');
  const idFile = path.join(dir, 'id');
  const secretFile = path.join(dir, 'secret');
  const write = (file: string, text: string) => {
    fs.writeFileSync(`${file}.tmp`, text);
    fs.renameSync(`${file}.tmp`, file);
  };
  write(idFile, `${id}\n`);
  write(secretFile, `${secret}\n`);
  return { idFile, secretFile, write };
}

describe('credentials from files', () => {
  it('are held while unchanged and taken again when a file changes, expiring within the refresh window', async () => {
    const f = files('AKID1', 's1');
    const events: Array<{ taken: boolean; reason: string }> = [];
    const provider = fileCredentials(f.idFile, f.secretFile, { accessKeyId: 'AKID1', secretAccessKey: 's1' }, (e) => events.push(e));
    const first = await provider();
    expect(first).toMatchObject({ accessKeyId: 'AKID1', secretAccessKey: 's1' });
    // Within the SDK's five minutes: it asks again at the next signing.
    expect(first.expiration.getTime() - Date.now()).toBeLessThan(300_000);
    expect(first.expiration.getTime()).toBeGreaterThan(Date.now());
    expect(await provider()).toMatchObject({ accessKeyId: 'AKID1', secretAccessKey: 's1' });
    expect(events).toEqual([]);
    f.write(f.idFile, 'AKID2\n');
    f.write(f.secretFile, 's2\n');
    expect(await provider()).toMatchObject({ accessKeyId: 'AKID2', secretAccessKey: 's2' });
    expect(events).toEqual([{ taken: true, reason: expect.stringContaining('changed') }]);
  });

  it('keep the held credentials through a missing or malformed file, told once each, never with the values', async () => {
    const f = files('AKID1', 'secret-one');
    const events: Array<{ taken: boolean; reason: string }> = [];
    const provider = fileCredentials(f.idFile, f.secretFile, { accessKeyId: 'AKID1', secretAccessKey: 'secret-one' }, (e) => events.push(e));
    await provider();
    f.write(f.secretFile, 'two words\n');
    for (let i = 0; i < 3; i++) expect(await provider()).toMatchObject({ accessKeyId: 'AKID1', secretAccessKey: 'secret-one' });
    fs.rmSync(f.secretFile);
    for (let i = 0; i < 3; i++) expect(await provider()).toMatchObject({ secretAccessKey: 'secret-one' });
    expect(events.map((e) => e.taken)).toEqual([false, false]);
    expect(events[0]!.reason).toContain('one non-empty line');
    expect(events[1]!.reason).toContain('ENOENT');
    expect(JSON.stringify(events)).not.toMatch(/two words|secret-one/);
    f.write(f.secretFile, 'secret-three\n');
    expect(await provider()).toMatchObject({ secretAccessKey: 'secret-three' });
    expect(events.at(-1)).toMatchObject({ taken: true });
  });
});
