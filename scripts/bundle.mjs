#!/usr/bin/env node
// bin/lab as one file, dist/lab.js, with the modules only some commands need
// in chunks it imports when they run (dist/lab-chunks/). Made from tsc's output
// (dist/cli/main.js), so what is bundled is what the type check passed.
//
// Why: Node 20's ESM loader spends about a millisecond resolving and linking
// each module, and lab up pulled in 390 of them (execa 130, zod 95 of which 64
// are its locales, yargs 40, lab's own 90): a third of a second before QEMU
// was even started, most of the one second a boot snapshot's restore may take.
import { build } from 'esbuild';
import { chmod, rm } from 'node:fs/promises';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const chunks = 'lab-chunks';

await rm(path.join(dist, chunks), { recursive: true, force: true });
await build({
  entryPoints: { lab: path.join(dist, 'cli', 'main.js') },
  outdir: dist,
  chunkNames: `${chunks}/[name]-[hash]`,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // a package with no exports map is taken as its ES module where it has one:
  // jsonc-parser's main is a UMD wrapper whose requires a bundler cannot follow
  mainFields: ['module', 'main'],
  // the CommonJS dependencies (cross-spawn, which) require Node's own modules,
  // which an ES module has no require for
  banner: {
    js: `import { createRequire as labRequire } from 'node:module'; const require = labRequire(import.meta.url);`,
  },
  logLevel: 'warning',
});
await chmod(path.join(dist, 'lab.js'), 0o755);
