/**
 * lab check on a bundle whose build.json is not JSON (or is null): that
 * bundle is one refused row, never quoting the file, and the next bundle is
 * still checked.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE_MANIFEST, fileHashes, writeBundle } from '../../src/bundle/bundle.js';
import { builtOf } from '../../src/bundle/built.js';
import { labPaths } from '../../src/config/paths.js';
import { checkBundles } from '../../src/lab/hand-in.js';
import { tempDir } from '../helpers/cli.js';

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
});
