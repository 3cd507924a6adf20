#!/usr/bin/env node
// Ruff on the gdb scripts, through Ruff's WebAssembly build (@astral-sh/ruff-wasm-nodejs):
// Debian 12 packages no ruff and PyPI may be out of reach, npm is not. Checks every .py
// under the given directories (default gdb-scripts/ and bench/), prints file:line:col code
// message, and exits 1 when there is any diagnostic.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PositionEncoding, Workspace } from '@astral-sh/ruff-wasm-nodejs';

/** The one Ruff configuration (the same keys as ruff.toml). */
export const RUFF_SETTINGS = {
  'line-length': 120,
  // gdb embeds the system's Python: 3.11 on Debian 12
  'target-version': 'py311',
  lint: {
    // pycodestyle, pyflakes, bugbear, isort, builtins shadowed
    select: ['E', 'W', 'F', 'B', 'I', 'A'],
  },
};

function pythonFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.py'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

const dirs = process.argv.length > 2 ? process.argv.slice(2) : ['gdb-scripts', 'bench'];
const workspace = new Workspace(RUFF_SETTINGS, PositionEncoding.Utf16);
let count = 0;
for (const file of dirs.flatMap(pythonFiles)) {
  const diagnostics = workspace.check(readFileSync(file, 'utf8'));
  diagnostics.sort(
    (a, b) => a.start_location.row - b.start_location.row || a.start_location.column - b.start_location.column,
  );
  for (const d of diagnostics) {
    const { row, column } = d.start_location;
    console.log(`${file}:${row}:${column} ${d.code ?? 'syntax'} ${d.message}`);
    count++;
  }
}
if (count > 0) {
  console.error(`ruff: ${count} problem${count === 1 ? '' : 's'}`);
  process.exit(1);
}
