// The epilogue of a manual scenario run: what lab does after the recording
// (the trace saved and summarised, the exports, the manifest, report.html),
// timed on a 15 MB function_graph trace in the scenario run's shape
// (test/data/runs/scenario with its trace.txt replaced). Median of --repeat (3).
//   node bench/epilogue.mjs [--dist DIR] [--repeat N]
// --dist: the built lab to time (default: this checkout's dist), so one script
// times the code before a change and after it.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { dist: { type: 'string', default: path.join(ROOT, 'dist') }, repeat: { type: 'string', default: '3' } },
});
const dist = path.resolve(values.dist);
const load = (module) => import(pathToFileURL(path.join(dist, module)).href);
const FIXTURE = path.resolve(ROOT, '..', 'shared', 'fixtures', 'ftrace', 'function_graph_manual_compaction_x86.txt');
if (!existsSync(FIXTURE)) {
  console.log(`${FIXTURE} is absent (../shared/fixtures): the epilogue benchmark is skipped`);
  process.exit(0);
}
const SCENARIO = path.join(ROOT, 'test', 'data', 'runs', 'scenario');

/** A trace of at least 15 MB: the fixture, concatenated. */
function bigTrace() {
  const one = readFileSync(FIXTURE, 'utf8');
  return one.repeat(Math.ceil((15 * 1024 * 1024) / one.length));
}

/** A scenario run directory without its trace: the trace is what the epilogue saves. */
function runDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-epilogue-'));
  cpSync(SCENARIO, dir, { recursive: true });
  rmSync(path.join(dir, 'trace.txt'));
  return dir;
}

const context = (dir) => ({
  paths: { runs: path.dirname(dir) },
  commandLine: ['run', 'bench'],
  progress: { notice: (m) => console.error(m), stage: () => ({ update() {}, done() {} }) },
  report: true,
});

/** Before record/: the trace parsed to summarise it, by the exports and by the report, each from the files. */
async function epilogueBefore(dir, trace) {
  const { saveTrace } = await load('trace/trace.js');
  const { writeExports } = await load('export/write.js');
  const { writeManifest } = await load('record/run-dir.js');
  const { writeRunReport } = await load('lab/report.js');
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  await saveTrace(dir, trace);
  const exports = await writeExports(dir);
  await writeManifest(dir, { ...manifest, exports });
  await writeRunReport(dir);
}

/** With record/: the trace parsed once; the exports and the report drawn from memory. */
async function epilogueAfter(dir, trace, recorded) {
  const { saveTrace } = await load('record/trace-files.js');
  const { finishRecording } = await load('lab/record-run.js');
  const { records } = await saveTrace(dir, trace);
  const { manifest, ...contents } = recorded;
  await finishRecording(
    context(dir),
    { id: manifest.id, dir, manifest },
    { fields: {}, contents: { ...contents, records } },
  );
}

const after = existsSync(path.join(dist, 'lab', 'record-run.js'));
const trace = bigTrace();
console.log(
  `${after ? 'with record/' : 'before record/'}: ${(trace.length / 1024 / 1024).toFixed(1)} MB trace, ${dist}`,
);
const seconds = [];
for (let i = 0; i < Number(values.repeat); i++) {
  const dir = runDir();
  const recorded = after ? await (await load('record/read-run.js')).readRunContents(dir) : undefined;
  const started = performance.now();
  if (after) await epilogueAfter(dir, trace, recorded);
  else await epilogueBefore(dir, trace);
  seconds.push((performance.now() - started) / 1000);
  rmSync(dir, { recursive: true, force: true });
}
seconds.sort((a, b) => a - b);
const median = seconds[Math.floor(seconds.length / 2)];
console.log(`epilogue: median ${median.toFixed(2)} s (${seconds.map((s) => s.toFixed(2)).join(', ')})`);
