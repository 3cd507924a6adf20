import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors.js';
import {
  type CheckedRead,
  parseJsonQuietly,
  readCheckedText,
  readCheckedTextSync,
} from '../../src/util/checked-file.js';
import { tempDir } from '../helpers/cli.js';

const read: CheckedRead = { code: 'RUN_DAMAGED', maxBytes: 64 };

async function problem(file: string, options: CheckedRead = read): Promise<string> {
  const err = await readCheckedText(file, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LabError);
  return (err as LabError).message;
}

describe('checked files', () => {
  const dir = tempDir('checked');
  writeFileSync(path.join(dir, 'ok.json'), '\ufeff{"a":1}');
  writeFileSync(path.join(dir, 'big.txt'), 'x'.repeat(65));
  writeFileSync(path.join(dir, 'secret'), 'root:x:0:0:root:/root:/bin/bash\n');
  symlinkSync('/etc/passwd', path.join(dir, 'link'));
  symlinkSync('/dev/zero', path.join(dir, 'zero'));
  mkdirSync(path.join(dir, 'sub'));
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);

  it('reads a regular file, without its byte order mark', async () => {
    expect(await readCheckedText(path.join(dir, 'ok.json'), read)).toBe('{"a":1}');
    expect(readCheckedTextSync(path.join(dir, 'ok.json'), read)).toBe('{"a":1}');
  });

  it('refuses links, devices, FIFOs, directories and oversized files, naming the file only', async () => {
    expect(await problem(path.join(dir, 'link'))).toMatch(/link\b.*is a link/);
    expect(await problem(path.join(dir, 'zero'), { ...read, links: 'follow' })).toMatch(/not a regular file/);
    expect(await problem(path.join(dir, 'fifo'))).toMatch(/not a regular file/);
    expect(await problem(path.join(dir, 'sub'))).toMatch(/is a directory/);
    expect(await problem(path.join(dir, 'big.txt'))).toMatch(/65 bytes, over the 64 bytes/);
    expect(await problem(path.join(dir, 'none'))).toMatch(/does not exist/);
    expect(() => readCheckedTextSync(path.join(dir, 'fifo'), read)).toThrow(/not a regular file/);
  });

  it('says where JSON stops being JSON, never what the file says', async () => {
    const text = await readCheckedText(path.join(dir, 'secret'), read);
    const err = (() => {
      try {
        parseJsonQuietly(text, 'secret', 'RUN_DAMAGED');
      } catch (e) {
        return e as LabError;
      }
    })();
    expect(err?.message).toMatch(/^secret is not valid JSON/);
    expect(err?.message).not.toMatch(/root/);
  });
});
