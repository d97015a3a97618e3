/**
 * The test S3 server behaves as S3 does where the backup tests depend on it: a PUT whose body
 * does not arrive whole (its client killed mid-body, as the kill -9 tests do) stores nothing.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { startS3, type TestS3 } from './helpers/s3-server.js';

let s3: TestS3;

beforeAll(async () => {
  s3 = await startS3();
});

afterAll(async () => {
  await s3?.stop();
});

function objectFiles(): string[] {
  const root = path.join(s3.directory, 'backups');
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('._S3rver_object'))
    .map((e) => e.name);
}

/** Opens a PUT of `declared` bytes and writes `sent` of them; the answer is what the server sends before the socket closes. */
function put(key: string, declared: number, sent: number): { socket: net.Socket; answer: Promise<string> } {
  const socket = net.connect(s3.port, '127.0.0.1', () => {
    socket.write(`PUT /backups/${key} HTTP/1.1\r\nHost: 127.0.0.1:${s3.port}\r\nContent-Length: ${declared}\r\nContent-Type: application/octet-stream\r\n\r\n`);
    socket.write(Buffer.alloc(sent, 7));
  });
  const answer = new Promise<string>((resolve, reject) => {
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
      if (text.includes('\r\n\r\n')) socket.end();
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
  return { socket, answer };
}

it('stores a PUT whose body arrived whole, and nothing of one cut mid-body', async () => {
  expect(await put('n1/whole', 1024 * 1024, 1024 * 1024).answer).toMatch(/^HTTP\/1.1 200 /);
  expect(objectFiles()).toEqual(['whole._S3rver_object']);

  const torn = put('n1/torn', 4 * 1024 * 1024, 256 * 1024);
  // The body is being written (beside the bucket) when the client dies.
  await until('the torn PUT being written', () => (fs.readdirSync(s3.partials).length > 0 ? true : undefined), 30_000);
  torn.socket.destroy();
  await torn.answer;
  await until('the server to give the torn body up', () => (fs.readdirSync(s3.partials).length === 0 ? true : undefined), 30_000);
  expect(objectFiles()).toEqual(['whole._S3rver_object']);
});
