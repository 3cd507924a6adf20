/**
 * The layers ARCHITECTURE.md describes, held: cli/ is the only place that
 * knows of yargs and terminals; nothing below it imports it; no source file
 * grows past 250 lines; no import cycle, between folders or between files.
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

/** The source files a file imports (relative specifiers, type-only ones too), as paths relative to src/. */
function localImports(file: string): string[] {
  return imports(file)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => path.relative(SRC, path.resolve(path.dirname(file), spec)).replace(/\.js$/, '.ts'));
}

/** Every cycle of a graph, one per strongly connected component of more than one node (Tarjan), sorted. */
function cyclesOf(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

function graphOf(nodeOf: (file: string) => string): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const f of files) {
    const from = nodeOf(path.relative(SRC, f));
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const to of localImports(f).map(nodeOf)) if (to !== from) edges.add(to);
  }
  return graph;
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

  it('no import cycle between folders of src/', () => {
    // lab/context.ts and the build record (build-record.ts and its schema) are types and records the domain
    // may use (ARCHITECTURE.md): they stand apart from the use cases in lab/
    const shared: Record<string, string> = {
      [path.join('lab', 'context.ts')]: 'lab/context',
      [path.join('lab', 'build-record.ts')]: 'lab/build-record',
      [path.join('lab', 'build-record-schema.ts')]: 'lab/build-record',
    };
    expect(cyclesOf(graphOf((rel) => shared[rel] ?? rel.split(path.sep)[0]!))).toEqual([]);
  });

  it('no import cycle between files of src/', () => {
    expect(cyclesOf(graphOf((rel) => rel))).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(cyclesOf(graph)).toEqual([['a', 'b', 'c']]);
  });
});
