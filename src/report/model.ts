import { RUN_FILES } from '../record/files.js';
import { asObject as obj, asText as str, type JsonObject } from '../util/json-narrow.js';
import { snapshotHeatmaps } from './heatmaps.js';
import type { RunFiles } from './run-files.js';
import type { RunReport } from './run-report.js';
import { debugSections, scenarioSections, traceSections } from './sections.js';

type Obj = JsonObject;

function header(m: Obj): Array<[string, string]> {
  const kernel = obj(m.kernel);
  const qemu = obj(m.qemu);
  const rootfs = obj(m.rootfs);
  const command = Array.isArray(m.command) ? (m.command as unknown[]).map(String).join(' ') : '?';
  return [
    ['run', str(m.id)],
    ['command', command],
    ['kernel', `${str(kernel.version)} (profile ${str(m.profile)}, build ${str(kernel.key)})`],
    ['config sha256', str(kernel.configSha256)],
    ['compiler', str(kernel.compiler)],
    ['QEMU', `${str(qemu.version)}, accel ${str(qemu.accel)}, ${str(qemu.memory)}, ${str(qemu.cpus)} CPUs`],
    ['rootfs', `${str(rootfs.kind)} (${str(rootfs.channel)})`],
    ['started', str(m.createdAt)],
    ['seconds', m.seconds === undefined ? '?' : str(m.seconds)],
  ];
}

function titleOf(m: Obj): string {
  const request = obj(m.request);
  if (m.kind === 'scenario') return `lab run ${str(obj(request.scenario).name)}`;
  if (m.kind === 'dump') return `lab dump${typeof request.at === 'string' ? ` --at-break ${request.at}` : ''}`;
  if (m.kind === 'debug')
    return `lab debug --break ${Array.isArray(request.breakpoints) ? request.breakpoints.join(' --break ') : '?'}`;
  return `lab trace (${str(request.tracer)})`;
}

/** What report.html shows of a run, from its directory's files (pure). */
export function buildRunReport(files: RunFiles): RunReport {
  const m = files.manifest;
  const r: RunReport = {
    kind: str(m.kind),
    id: str(m.id),
    title: titleOf(m),
    header: header(m),
    exports: Array.isArray(m.exports) ? m.exports.map(str) : [],
    notes: [],
  };
  if (m.kind === 'scenario') scenarioSections(r, files);
  if (files.hits) debugSections(r, files.hits);
  if (files.records?.length) {
    const flame = r.flame;
    traceSections(r, files.records);
    // a scenario's picture is its backtraces when it has them; the trace's own tree stays in the call tree
    if (flame) r.flame = flame;
  }
  const snaps = snapshotHeatmaps(files.snapshots ?? []);
  if (snaps.length) r.heatmaps = [...(r.heatmaps ?? []), ...snaps];
  if (m.ok === false || m.error)
    r.notes.push(
      `the run did not finish as expected: ${str(obj(m.error).message ?? m.error ?? `see ${RUN_FILES.manifest}`)}`,
    );
  return r;
}
