/**
 * lab check on a bundle whose build.json is not JSON (or is null): that
 * bundle is one refused row, never quoting the file, and the next bundle is
 * still checked.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BUNDLE_MANIFEST, fileHashes, writeBundle } from '../../src/bundle/bundle.js';
import { builtOf, bundleRefusal } from '../../src/bundle/built.js';
import { labPaths } from '../../src/config/paths.js';
import { LabError } from '../../src/errors.js';
import { checkBundles } from '../../src/lab/hand-in.js';
import { tempDir } from '../helpers/cli.js';
import { bundleTar, debugRun, HOSTILE_LAB, TAR_END, tarEntry, writeGoodBundle } from '../helpers/hostile-bundles.mjs';

async function makeBundle(name: string, buildJson: string): Promise<string> {
  const dir = tempDir('bundle-src');
  const files: Record<string, string> = { 'runs/r1/manifest.json': '{"kind":"debug"}', 'build.json': buildJson };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  const manifest = {
    bundleVersion: 1,
    lab: 'course',
    student: name,
    createdAt: '2026-01-01T00:00:00Z',
    lockDigest: null,
    runs: ['r1'],
    files: await fileHashes(dir, Object.keys(files)),
  };
  writeFileSync(path.join(dir, BUNDLE_MANIFEST), JSON.stringify(manifest));
  const out = path.join(tempDir('bundle'), `${name}.tar.gz`);
  await writeBundle(dir, Object.keys(files), out);
  return out;
}

describe('lab check', () => {
  it('refuses a bundle whose build.json is damaged in one row, and checks the next', async () => {
    const lab = path.join(tempDir('course'), 'lab.json');
    writeFileSync(lab, JSON.stringify({ name: 'course', profile: 'debian' }));
    const bundles = [
      await makeBundle('ada', 'root:secret:19000'),
      await makeBundle('bob', 'null'),
      await makeBundle('cy', JSON.stringify({ built: { bzImage: 'x' } })),
    ];
    const r = await checkBundles(labPaths(path.join(path.dirname(lab), '.lab')), { bundles, lab });
    expect(r.rows).toEqual([
      {
        bundle: 'ada.tar.gz',
        student: 'ada',
        exercise: '(bundle)',
        result: 'refused',
        evidence: 'ada.tar.gz refused: build.json is not valid JSON',
      },
      {
        bundle: 'bob.tar.gz',
        student: 'bob',
        exercise: '(bundle)',
        result: 'refused',
        evidence: 'bob.tar.gz refused: build.json is null, not an object',
      },
      {
        bundle: 'cy.tar.gz',
        student: 'cy',
        exercise: '(lab.lock)',
        result: 'pass',
        evidence: 'no lab.lock beside lab.json: nothing to compare',
      },
    ]);
    expect(r.passed).toBe(false);
  });

  it('reads "built" from an object only', () => {
    const refuse = (why: string) => new Error(why);
    expect(builtOf('{}', refuse)).toBeUndefined();
    expect(builtOf('{"built": {"a": 1}}', refuse)).toEqual({ a: 1 });
    expect(() => builtOf('[1]', refuse)).toThrow('is an array, not an object');
    expect(() => builtOf('{"built": null}', refuse)).toThrow('records "built" as something other than an object');
    expect(() => builtOf('{"a":1,}', refuse)).toThrow('is not valid JSON at byte 7');
  });

  it('refuses a bundle whose hits.jsonl is a directory, naming it inside the bundle, and checks the next', async () => {
    const dir = tempDir('hits-dir');
    const lab = path.join(dir, 'lab.json');
    writeFileSync(lab, JSON.stringify(HOSTILE_LAB));
    const { 'runs/r1/hits.jsonl': _, ...files } = debugRun();
    const extra = [tarEntry('runs/r1/hits.jsonl/', Buffer.alloc(0), { type: '5' })];
    const bad = path.join(dir, 'bad.tar.gz');
    writeFileSync(bad, gzipSync(Buffer.concat([bundleTar(files, { extra }), TAR_END])));
    const before = readdirSync(os.tmpdir()).filter((d) => d.startsWith('lab-check-')).length;
    const r = await checkBundles(labPaths(path.join(dir, '.lab')), {
      bundles: [bad, writeGoodBundle(path.join(dir, 'good.tar.gz'))],
      lab,
    });
    expect(r.rows).toEqual([
      {
        bundle: 'bad.tar.gz',
        student: 'ada',
        exercise: '(bundle)',
        result: 'refused',
        evidence: 'bad.tar.gz refused: runs/r1/hits.jsonl is a directory, not a file',
      },
      expect.objectContaining({ bundle: 'good.tar.gz', exercise: '(lab.lock)', result: 'pass' }),
      expect.objectContaining({ bundle: 'good.tar.gz', exercise: 'bp', result: 'fail' }),
    ]);
    expect(readdirSync(os.tmpdir()).filter((d) => d.startsWith('lab-check-')).length).toBe(before);
  });

  it('makes any error one refused row: a refusal as it is, another said inside the bundle, a bug as a bug', () => {
    const refused = new LabError('BUNDLE_REFUSED', 'b.tar.gz refused: it holds nothing');
    expect(bundleRefusal(refused, 'b.tar.gz')).toBe('b.tar.gz refused: it holds nothing');
    const damaged = new LabError('RUN_DAMAGED', '/tmp/lab-check-x/runs/r1/hits.jsonl cannot be read (EACCES)');
    expect(bundleRefusal(damaged, 'b.tar.gz', '/tmp/lab-check-x')).toBe(
      'b.tar.gz refused: runs/r1/hits.jsonl cannot be read (EACCES)',
    );
    expect(bundleRefusal(new TypeError('x is undefined'), 'b.tar.gz')).toBe(
      'b.tar.gz refused: lab check failed on it (x is undefined)',
    );
  });
});
