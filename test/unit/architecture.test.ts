/**
 * The layers ARCHITECTURE.md describes, held: cli/ is the only place that
 * knows of yargs and terminals; nothing below it imports it; no source file
 * grows past 250 lines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT } from '../helpers/cli.js';

const SRC = path.join(PROJECT, 'src');
const files = readdirSync(SRC, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.ts'))
  .map((e) => path.join(e.parentPath, e.name));

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\()['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

function layerOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0]!;
}

describe('the layers', () => {
  it('no module outside cli/ imports cli/', () => {
    const offenders = files
      .filter((f) => layerOf(f) !== 'cli')
      .flatMap((f) =>
        imports(f)
          .filter((spec) => spec.startsWith('.') && layerOf(path.resolve(path.dirname(f), spec)) === 'cli')
          .map((spec) => `${path.relative(SRC, f)} imports ${spec}`),
      );
    expect(offenders).toEqual([]);
  });

  it('only cli/ knows yargs; only lab/ and cli/ import the use cases', () => {
    const yargsUsers = files
      .filter((f) => imports(f).some((s) => s === 'yargs' || s.startsWith('yargs/')))
      .map((f) => layerOf(f));
    expect(new Set(yargsUsers)).toEqual(new Set(['cli']));
    const labUsers = files
      .filter((f) => !['cli', 'lab'].includes(layerOf(f)))
      .filter((f) =>
        imports(f).some(
          (spec) =>
            spec.startsWith('.') &&
            layerOf(path.resolve(path.dirname(f), spec)) === 'lab' &&
            !spec.endsWith('/context.js') &&
            !spec.endsWith('/build-record.js'),
        ),
      );
    expect(labUsers.map((f) => path.relative(SRC, f))).toEqual([]);
  });

  it('every process is started by the one runner', () => {
    const spawners = files
      .filter((f) => imports(f).some((s) => s === 'execa' || s === 'node:child_process'))
      .map((f) => path.relative(SRC, f));
    expect(spawners).toEqual([path.join('process', 'runner.ts')]);
  });

  it('no source file is over 250 lines', () => {
    const long = files
      .map((f) => ({ f: path.relative(SRC, f), n: readFileSync(f, 'utf8').split('\n').length }))
      .filter((x) => x.n > 250);
    expect(long).toEqual([]);
  });
});
