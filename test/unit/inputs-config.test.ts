/**
 * Files and values a person writes (lab.json, profiles, --kernel-source) are
 * checked before anything runs: one LabError line naming the file and the
 * problem, never the file's contents, never a stack trace.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLabFile, readLabFile } from '../../src/config/lab-file.js';
import { loadProfile, parseProfile } from '../../src/config/profile.js';
import { sourceFromFlag } from '../../src/config/resolve.js';
import { urlProblem } from '../../src/util/url.js';
import { tooDeepAt } from '../../src/util/json-depth.js';
import { tempDir } from '../helpers/cli.js';
import { labError } from '../helpers/lab-error.js';

const LAB = { name: 'c', profile: 'debian' };
const SECRET = 'root:$y$j9T$hidden:19000:0:99999:7:::';

describe('lab.json', () => {
  it('a directory named lab.json is one LAB_FILE_INVALID line', () => {
    const dir = path.join(tempDir('inputs'), 'lab.json');
    mkdirSync(dir);
    const e = labError(() => readLabFile(dir));
    expect(e.code).toBe('LAB_FILE_INVALID');
    expect(e.message).toBe(`${dir} is a directory, not a file`);
    expect(e.exitCode).toBe(2);
  });

  it('100,000 "[" stop at the nesting limit instead of overflowing the stack', () => {
    const e = labError(() => parseLabFile('['.repeat(100_000), '/c/lab.json'));
    expect(e.code).toBe('LAB_FILE_INVALID');
    expect(e.message).toBe('/c/lab.json:1:65: nested deeper than 64');
    expect(tooDeepAt('{"a": "[[[[[[[[", /* [[[[ */ "b": [[1]]}', 3)).toBeUndefined();
    expect(tooDeepAt('[[[[1]]]]', 3)).toBe(3);
  });

  it('a UTF-8 byte order mark just works, in the text and in the file', () => {
    expect(parseLabFile(`\uFEFF${JSON.stringify(LAB)}`, 'lab.json').name).toBe('c');
    const file = path.join(tempDir('inputs'), 'lab.json');
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(LAB))]));
    expect(readLabFile(file).data.profile).toBe('debian');
  });

  it('profile "/etc/shadow" is refused by name, and no profile file is ever quoted', () => {
    const e = labError(() => parseLabFile(JSON.stringify({ ...LAB, profile: '/etc/shadow' }), 'lab.json'));
    expect(e.message).toBe('lab.json: profile: a profile is a name from profiles/ or the path of a .json file');
    const file = path.join(tempDir('inputs'), 'shadow.json');
    writeFileSync(file, `${SECRET}\n`);
    const p = labError(() => loadProfile(file));
    expect(p.code).toBe('PROFILE_INVALID');
    expect(p.message).toBe(`${file} is not valid JSON`);
    expect(p.line()).not.toContain('root');
    expect(labError(() => parseProfile('{"name": x', 'p.json')).message).toBe('p.json is not valid JSON');
    expect(labError(() => parseProfile('{"a":1,}', 'p.json')).message).toBe('p.json is not valid JSON at byte 7');
  });

  it('a profile name is a name, never a path', () => {
    const p = { kernel: { source: { kind: 'dir', path: '/x' } }, qemu: { use: 'system' } };
    expect(labError(() => parseProfile(JSON.stringify({ ...p, name: '../../x' }), 'p.json')).message).toMatch(
      /^p\.json: name: a profile name is letters/,
    );
    expect(parseProfile(JSON.stringify({ ...p, name: '6.6' }), 'p.json').name).toBe('6.6');
  });
});

describe('URLs lab fetches', () => {
  it('https, a host, no spaces', () => {
    expect(urlProblem('https://cdn.kernel.org/pub/linux-6.6.tar.xz')).toBeUndefined();
    expect(urlProblem('https://exa mple.org/l.tar.xz')).toBe('has a space or a control character');
    expect(urlProblem('https://example.org/a\tb')).toBe('has a space or a control character');
    expect(urlProblem('http://example.org/l.tar.xz')).toBe('is not https (it is http)');
    expect(urlProblem('file:///etc/passwd')).toBe('is not https (it is file)');
    expect(urlProblem('https://')).toBe('is not a URL');
    expect(urlProblem('https://u:p@example.org/')).toBe('carries a user name or password');
    expect(urlProblem('http://127.0.0.1:9/x', ['https', 'http'])).toBeUndefined();
  });

  it('--kernel-source with a bad URL is BAD_URL (exit 2) before anything is fetched', () => {
    const sha = 'a'.repeat(64);
    const e = labError(() => sourceFromFlag('https://exa mple.org/l.tar.xz', sha, () => 'missing'));
    expect(e.code).toBe('BAD_URL');
    expect(e.line()).toBe(
      '--kernel-source "https://exa mple.org/l.tar.xz" has a space or a control character: ' +
        'give an https URL with a host name and no spaces',
    );
    expect(e.exitCode).toBe(2);
    expect(labError(() => sourceFromFlag('ftp://example.org/l.tar.xz', sha, () => 'missing')).code).toBe('BAD_URL');
  });

  it('a profile source URL with a space is PROFILE_INVALID', () => {
    const bad = {
      name: 'x',
      kernel: { source: { kind: 'url', url: 'https://exa mple.org/l.tar.xz', sha256: 'a'.repeat(64) } },
      qemu: { use: 'system' },
    };
    expect(labError(() => parseProfile(JSON.stringify(bad), 'p.json')).message).toBe(
      'p.json: kernel.source.url: the URL has a space or a control character',
    );
  });
});
