import type { ConfigureRecord } from '../lab/build.js';
import type { BuildRecord } from '../lab/build-record.js';
import type { DoctorReport } from '../lab/doctor.js';
import type { ScenarioResult } from '../scenario/session.js';
import { RUN_FILES } from '../record/files.js';
import { renderVerdicts } from '../scenario/verdict.js';
import type { StopOutcome } from '../vm/stop.js';
import type { DebugResult } from '../gdb/debug.js';
import { formatHit, hitsPerBreakpoint } from '../gdb/hits.js';
import type { VmStatus } from '../vm/status.js';
import type { TraceSummary } from '../trace/trace.js';

/** Text renderings of command results (pure: tests read them as strings). */
export function renderBuild(r: BuildRecord): string {
  const fetched = new Set(r.fetched?.entries.map((e) => e.name) ?? []);
  const how = (name: 'kernel' | 'initramfs' | 'debian image', cached: string | false) =>
    fetched.has(name) ? '(fetched from the class cache, checked against lab.lock)' : cached || '(built)';
  const rootfsName = r.rootfs.kind === 'initramfs' ? 'initramfs' : 'debian image';
  const lines = [
    `profile   ${r.profile}${r.fellBackFrom ? ` (fell back from ${r.fellBackFrom})` : ''}`,
    `kernel    ${r.kernel.version} ${how('kernel', r.kernel.cached && '(cached, no make ran)')}  ${r.kernel.bzImage}`,
    `vmlinux   ${r.kernel.vmlinux}`,
    `rootfs    ${r.rootfs.kind} ${how(rootfsName, r.rootfs.cached && '(cached)')}  ${r.rootfs.file}`,
    `qemu      ${r.qemu.version} ` +
      `(${r.qemu.built ? `built from source${r.qemu.built.cached ? ', cached' : ''}: ` : ''}${r.qemu.binary})`,
    `took      ${r.seconds.toFixed(1)} s`,
  ];
  if (r.kernel.changes.length)
    lines.push(`config    ${r.kernel.changes.length} option(s) changed in your config (see the build log)`);
  return lines.join('\n');
}

export function renderConfigure(r: ConfigureRecord): string {
  const lines = [
    `profile   ${r.profile}${r.fellBackFrom ? ` (fell back from ${r.fellBackFrom})` : ''}`,
    `config    ${r.config} ${r.cached ? '(cached)' : ''}`.trimEnd(),
    `verified  every option of ${r.fragments.join(', ')} took effect`,
  ];
  if (r.notInKernel.length)
    lines.push(`skipped   ${r.notInKernel.length} option(s) this kernel does not define: ${r.notInKernel.join(', ')}`);
  if (r.changes.length) {
    lines.push(`changed   ${r.changes.length} option(s) of your config (also in ${r.logFile}):`);
    for (const c of r.changes) lines.push(`  ${c}`);
  }
  return lines.join('\n');
}

export function renderStatus(s: VmStatus): string {
  if (!s.running) return s.staleCleaned ? 'not running (the VM had stopped; its state was cleaned)' : 'not running';
  return [
    `running   pid ${s.pid}, ${s.accel}, up ${s.uptimeSeconds} s${s.runState ? `, ${s.runState}` : ''}`,
    `gdb       ${s.gdb}`,
    ...(s.ssh ? [`ssh       127.0.0.1:${s.ssh} (lab ssh)`] : []),
    `kernel    ${s.kernel} (${s.profile} profile), rootfs ${s.rootfs}`,
    `console   ${s.sockets?.console}`,
    `qmp       ${s.sockets?.qmp}`,
    `qemu      ${s.qemu}`,
    ...(s.start?.from === 'snapshot' ? [`started   from boot snapshot ${s.start.snapshot?.slice(0, 8)}`] : []),
    ...(s.start?.from === 'moment' ? [`started   at moment ${s.start.moment}`] : []),
  ].join('\n');
}

/** Why a breakpoint the seed set never fires around a manual compaction. */
const SILENT_BREAKPOINTS: Record<string, string> = {
  kcompactd: 'kcompactd is entered once, at boot, and loops inside: a breakpoint on its entry never fires again',
  kcompactd_do_work: 'a manual compaction runs in the writing task (sh), not in kcompactd, which nothing woke',
};

export function renderDebug(
  r: DebugResult,
  runDir: string,
  opts: { wholeBacktrace?: boolean; breakpoints?: string[] } = {},
): string {
  const lines = [`${r.hits.length} hits (${r.outcome}) in ${r.seconds.toFixed(1)} s; recorded in ${runDir}`];
  const rows = hitsPerBreakpoint(r.hits);
  const sites = (spec: string) => {
    const n = r.breakpoints.find((b) => b.spec === spec)?.sites;
    return n && n > 1 ? `  (${n} sites)` : '';
  };
  for (const row of rows) lines.push(`  ${String(row.hits).padStart(5)}  ${row.breakpoint}${sites(row.breakpoint)}`);
  for (const name of opts.breakpoints ?? []) {
    if (rows.some((row) => row.breakpoint === name)) continue;
    const why = SILENT_BREAKPOINTS[name];
    lines.push(`  ${String(0).padStart(5)}  ${name}${why ? `  (${why})` : sites(name)}`);
  }
  if (r.trigger) {
    lines.push(
      `trigger   ${r.trigger.argv.join(' ')}: ${r.trigger.error ? r.trigger.error : `exit ${r.trigger.exitCode}`}`,
    );
  }
  if (opts.wholeBacktrace && r.hits.length) {
    // the deepest stack says the most: the one that reaches the inlined helper
    const pick = [...r.hits].sort((a, b) => b.frames.length - a.frames.length)[0]!;
    lines.push('', formatHit(pick));
  }
  return lines.join('\n');
}

/** The report's path as the last line of a run's output, when one was written. */
export function reportLine(report: string | undefined): string {
  return report ? `\nreport: ${report}` : '';
}

export function renderTrace(s: TraceSummary, runDir: string): string {
  const saved = `${RUN_FILES.trace} and ${RUN_FILES.traceSummary}`;
  const lines = [`${s.lines} lines, ${s.records} records; ${saved} in ${runDir}`];
  if (s.functions.length) {
    lines.push('  calls      total µs      max µs  function');
    for (const f of s.functions.slice(0, 20)) {
      lines.push(
        `${String(f.calls).padStart(7)} ${f.totalUs.toFixed(1).padStart(13)} ` +
          `${f.maxUs.toFixed(1).padStart(11)}  ${f.fn}`,
      );
    }
    if (s.functions.length > 20) lines.push(`  … ${s.functions.length - 20} more functions`);
  }
  const events = Object.entries(s.events).sort((a, b) => b[1] - a[1]);
  if (events.length) {
    lines.push('  events');
    for (const [e, n] of events) lines.push(`${String(n).padStart(7)}  ${e}`);
  }
  if (!s.functions.length && !events.length) lines.push('  (the trace is empty)');
  return lines.join('\n');
}

export function renderStop(r: { outcome: StopOutcome; pid?: number }): string {
  return {
    stopped: `VM stopped (pid ${r.pid})`,
    killed: `VM did not quit and was killed (pid ${r.pid})`,
    'was-stopped': `the VM (pid ${r.pid}) had already stopped; its state was cleaned`,
    'state-damaged':
      `the VM's state file was damaged; ` +
      `${r.pid ? `the QEMU its pid file named (pid ${r.pid}) was killed and ` : ''}the state was cleared`,
    none: 'no VM was running',
  }[r.outcome];
}

export function renderScenarioList(all: Array<{ name: string; description: string }>): string {
  return all.map((s) => `${s.name.padEnd(10)} ${s.description}`).join('\n');
}

export function renderScenario(name: string, runDir: string, result: ScenarioResult): string {
  return `${name}: ${result.seconds.toFixed(0)} s, recorded in ${runDir}\n${renderVerdicts(result.verdicts)}`;
}

export function renderDoctor(report: DoctorReport): string {
  const lines = [`${report.scope} (${report.purposes.join(', ')})`];
  for (const r of report.results)
    lines.push(
      `${r.ok ? 'ok     ' : 'MISSING'}  ` +
        `${r.check.what}${r.ok ? '' : `  (package ${r.check.package}, for ${r.check.purpose})`}`,
    );
  lines.push(
    report.install
      ? `\n${report.missing.length} missing; install with:\n  ${report.install}`
      : '\neverything lab needs is here',
  );
  return lines.join('\n');
}
