// lab's benchmarks: wall times of the user-facing steps, measured on this
// machine with the real kernel, QEMU and gdb. Results go to
// bench/results/<date>.json; BENCHMARKS.md summarises them.
//   npm run bench   the store already holds the debian profile's kernel and images;
//                   the build comparisons add two cold kernel builds (minutes each)
import { execa } from 'execa';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LAB = path.resolve(import.meta.dirname, '..', 'dist', 'lab.js');
const cwd = mkdtempSync(path.join(os.tmpdir(), 'lab-bench-'));
const results = [];

/** One result row from timed samples (seconds): median, min and max, printed and kept. */
function record(name, samples, extra = {}) {
  const sorted = [...samples].sort((a, b) => a - b);
  const row = {
    name,
    runs: sorted.length,
    median_s: +sorted[Math.floor(sorted.length / 2)].toFixed(3),
    min_s: +sorted[0].toFixed(3),
    max_s: +sorted.at(-1).toFixed(3),
    ...extra,
  };
  results.push(row);
  console.log(`${name.padEnd(40)} median ${row.median_s} s (min ${row.min_s}, max ${row.max_s}, ${row.runs} runs)`);
  return row;
}

/** Seconds each of `repeat` calls of step() takes, with before() (untimed) ahead of each. */
async function sample(step, { repeat = 1, before } = {}) {
  const samples = [];
  for (let i = 0; i < repeat; i++) {
    if (before) await before();
    const t0 = performance.now();
    await step();
    samples.push((performance.now() - t0) / 1000);
  }
  return samples;
}

/** The raw tools doing the same work, for the side-by-side ratio. */
async function timedRaw(name, script, { repeat = 1, env = {} } = {}) {
  const samples = await sample(() => execa('sh', ['-c', script], { cwd, env: { ...process.env, ...env } }), { repeat });
  return record(name, samples, { raw: true });
}

async function timed(name, args, { env = {}, repeat = 1, exitCodes = [0], before } = {}) {
  const step = async () => {
    const r = await execa(process.execPath, [LAB, ...args], {
      cwd,
      env: { LAB_PROFILE: 'debian', ...process.env, ...env },
      reject: false,
      stdin: 'ignore',
    });
    if (!exitCodes.includes(r.exitCode)) throw new Error(`${name} failed (${r.exitCode}): ${r.stderr}`);
  };
  return record(name, await sample(step, { repeat, before }));
}

const labDown = () => execa(process.execPath, [LAB, 'down'], { cwd });

/** The in-guest engine against the gdb engine: every hit of one manual compaction, the same hot breakpoint. */
async function engineVersusGdb() {
  const hot = [
    '--break',
    'compact_unlock_should_abort',
    '--trigger',
    'compact',
    '--count',
    '0',
    '--timeout',
    '3600',
    '--no-report',
  ];
  const engines = {};
  for (const engine of ['guest', 'gdb']) {
    const t0 = performance.now();
    const r = await execa(process.execPath, [LAB, 'debug', '--engine', engine, ...hot, '--json'], {
      cwd,
      env: { LAB_PROFILE: 'debian', ...process.env },
      reject: false,
      stdin: 'ignore',
    });
    const wall = (performance.now() - t0) / 1000;
    if (r.exitCode !== 0) throw new Error(`lab debug --engine ${engine} failed (${r.exitCode}): ${r.stderr}`);
    const { runDir } = JSON.parse(r.stdout);
    const hits = readFileSync(path.join(runDir, 'hits.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const rate = (hits.length - 1) / (hits.at(-1).elapsed - hits[0].elapsed);
    const stacks = new Set(hits.map((h) => h.frames.map((f) => `${f.function}${f.inlined ? '[i]' : ''}`).join(';')));
    if (hits.length < 2) throw new Error(`--engine ${engine} recorded ${hits.length} hits: nothing to compare`);
    const stats = engine === 'guest' ? JSON.parse(readFileSync(path.join(runDir, 'engine.json'), 'utf8')) : undefined;
    engines[engine] = { hits: hits.length, rate, wall, stacks, stats };
    results.push({
      name: `all hits of one manual compaction, compact_unlock_should_abort, --engine ${engine}`,
      runs: 1,
      hits: hits.length,
      hits_per_s: +rate.toFixed(1),
      wall_s: +wall.toFixed(2),
      ...(stats
        ? {
            fired: stats.fired,
            dropped: stats.dropped,
            symbolize_s: stats.symbolizeSeconds,
            read_s: stats.readSeconds,
            unique_addresses: stats.uniqueAddresses,
          }
        : {}),
    });
    console.log(
      `${`--engine ${engine}: all hits`.padEnd(40)} ${hits.length} hits, ${rate.toFixed(1)} ` +
        `hits/s, ${wall.toFixed(2)} s${stats ? `, fired ${stats.fired}, dropped ${stats.dropped}` : ''}`,
    );
  }
  const shared = [...engines.gdb.stacks].filter((s) => engines.guest.stacks.has(s)).length;
  results.push({
    name: 'guest engine against gdb engine',
    hits_per_s_ratio: +(engines.guest.rate / engines.gdb.rate).toFixed(1),
    gdb_stacks: engines.gdb.stacks.size,
    guest_stacks: engines.guest.stacks.size,
    gdb_stacks_in_guest: shared,
  });
  console.log(
    `${'guest/gdb hits per second'.padEnd(40)} ${(engines.guest.rate / engines.gdb.rate).toFixed(1)}x; ` +
      `${shared} of gdb's ${engines.gdb.stacks.size} distinct stacks in the guest engine's`,
  );
}

/** lab up to ssh-ready on the Debian image, 5 times, and where the guest's time went (systemd-analyze) on the last. */
async function debianBoot() {
  const row = await timed('lab up to ssh-ready (Debian image, TCG)', ['up'], { repeat: 5, before: labDown });
  const guest = async (...argv) =>
    (
      await execa(process.execPath, [LAB, 'exec', '--', ...argv], {
        cwd,
        env: { LAB_PROFILE: 'debian', ...process.env },
      })
    ).stdout;
  row.systemd = (await guest('systemd-analyze')).split('\n')[0];
  row.blame = (await guest('systemd-analyze', 'blame'))
    .split('\n')
    .slice(0, 8)
    .map((l) => l.trim());
  console.log(`${''.padEnd(40)} ${row.systemd}`);
}

/**
 * lab exec against a bare ssh round trip to the same guest, same key and options (so
 * through lab up's shared connection), and against one that opens its own.
 */
async function execVersusSsh() {
  await timed('lab exec -- true (Debian, ssh)', ['exec', '--', 'true'], { repeat: 20 });
  const state = JSON.parse(readFileSync(path.join(cwd, '.lab', 'state.json'), 'utf8'));
  const { sshOptions } = await import(path.resolve(import.meta.dirname, '..', 'dist', 'guest', 'ssh.js'));
  const words = [...sshOptions(state.ssh), '-o', 'BatchMode=yes', '-T', 'root@127.0.0.1', 'true']
    .map((w) => `'${w}'`)
    .join(' ');
  await timedRaw('raw: ssh true (same guest, key, options)', `ssh ${words}`, { repeat: 20 });
  // what every call paid before lab up opened one shared connection: a handshake each
  const { controlPath: _shared, ...ownConnection } = state.ssh;
  const fresh = [...sshOptions(ownConnection), '-o', 'BatchMode=yes', '-T', 'root@127.0.0.1', 'true']
    .map((w) => `'${w}'`)
    .join(' ');
  await timedRaw('raw: ssh true, a new connection each time', `ssh ${fresh}`, { repeat: 20 });
}

/**
 * lab up from the VM's boot snapshot against lab up --boot, 5 of each in turn on
 * one rootfs (the first lab up saves the snapshot, untimed); on Debian with
 * --fresh, as an overlay that keeps a session's files boots.
 */
async function bootSnapshots(rootfs) {
  const fresh = rootfs === 'debian' ? ['--fresh'] : [];
  await labDown();
  await execa(process.execPath, [LAB, 'up', ...fresh], { cwd, env: { LAB_PROFILE: 'debian', ...process.env } });
  const restored = [];
  const booted = [];
  for (let i = 0; i < 5; i++) {
    restored.push(...(await sample(() => labUp(fresh), { before: labDown })));
    booted.push(...(await sample(() => labUp([...fresh, '--boot']), { before: labDown })));
  }
  const ready = rootfs === 'debian' ? 'ssh-ready' : 'guest ready';
  const boot = record(`lab up --boot to ${ready} (${rootfs}, TCG)`, booted);
  const from = record(`lab up from its boot snapshot to ${ready} (${rootfs}, TCG)`, restored);
  from.speedup = +(boot.median_s / from.median_s).toFixed(2);
  console.log(`${''.padEnd(40)} ${from.speedup}x faster than booting`);
}

async function labUp(flags) {
  const r = await execa(process.execPath, [LAB, 'up', ...flags], {
    cwd,
    env: { LAB_PROFILE: 'debian', ...process.env },
  });
  if (r.exitCode !== 0) throw new Error(`lab up ${flags.join(' ')}: ${r.stderr}`);
}

/** lab demo with the VM stopped and the store warm: boot (or restore), 20 hits, report. */
async function warmDemo() {
  await timed('lab demo, VM stopped, warm store (initramfs)', ['demo'], { repeat: 3, before: labDown });
}

/** lab up against raw QEMU started with the same arguments, each to the guest's first userspace line. */
async function upVersusQemu() {
  // lab lock above built the course's Debian image into the build record: back to the initramfs
  await execa(process.execPath, [LAB, 'build', '--rootfs', 'initramfs'], {
    cwd,
    env: { LAB_PROFILE: 'debian', ...process.env },
    stdin: 'ignore',
  });
  await bootSnapshots('initramfs');
  await timed('lab up --boot to guest ready (initramfs, TCG)', ['up', '--boot'], { repeat: 5, before: labDown });
  const state = JSON.parse(readFileSync(path.join(cwd, '.lab', 'state.json'), 'utf8'));
  const argv = readFileSync(`/proc/${state.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  await labDown();
  let q;
  const toFirstLine = async () => {
    const before = statSync(state.serialLog).size;
    const t0 = performance.now();
    q = execa(
      argv[0],
      argv.slice(1).filter((a) => a !== '-daemonize'),
      { reject: false },
    );
    while (!readFileSync(state.serialLog, 'latin1').slice(before).includes('lab: initramfs up')) {
      if (performance.now() - t0 > 120_000) throw new Error('raw QEMU: no userspace line in 120 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const stopRaw = async () => {
    q?.kill('SIGKILL');
    await q;
  };
  // each raw QEMU is killed before the next starts (untimed), the last one after
  record(
    'raw: QEMU, same arguments, to the first userspace line',
    await sample(toFirstLine, { repeat: 5, before: stopRaw }),
    { raw: true },
  );
  await stopRaw();
}

/** lab build against make: a cold kernel build (sources and config cached) and a build with nothing changed. */
async function buildVersusMake() {
  const build = JSON.parse(readFileSync(path.join(cwd, '.lab', 'build.json'), 'utf8'));
  const storeRoot = path.dirname(path.dirname(build.kernel.dir));
  const tree = path.join(storeRoot, 'sources', build.kernel.sourceId);
  if (!existsSync(path.join(tree, 'Makefile'))) throw new Error(`the raw side is missing: no kernel tree at ${tree}`);
  // a store with everything but this kernel, hard-linked: lab's cold build is make plus what lab adds
  const coldStore = mkdtempSync(path.join(os.tmpdir(), 'lab-bench-store-'));
  for (const d of readdirSync(storeRoot))
    if (!['kernels', 'tmp', 'partial'].includes(d)) await execa('cp', ['-al', path.join(storeRoot, d), coldStore]);
  await timed('lab build, cold kernel (sources, config cached)', ['build', '--rootfs', 'initramfs'], {
    env: { LAB_CACHE: coldStore },
  });
  const out = mkdtempSync(path.join(os.tmpdir(), 'lab-bench-kbuild-'));
  copyFileSync(build.kernel.config, path.join(out, '.config'));
  const { reproducibleBuildEnv, KERNEL_TARGETS } = await import(
    path.resolve(import.meta.dirname, '..', 'dist', 'kernel', 'plan.js')
  );
  const env = reproducibleBuildEnv(tree, out, 'Thu, 26 Nov 2026 17:12:56 +0000');
  const make = `make -C '${tree}' O='${out}' ARCH=x86_64 -j${os.cpus().length} ${KERNEL_TARGETS.join(' ')} >/dev/null`;
  await timedRaw('raw: make, same .config, fresh O=', make, { env });
  await timedRaw('raw: the same make, nothing changed', make, { env, repeat: 3 });
  await execa('rm', ['-rf', coldStore, out]);
}

/** LAB_BENCH_ONLY=boot: the boot-snapshot rows alone (minutes, not the hour the whole bench takes). */
async function bootOnly() {
  await execa(process.execPath, [LAB, 'build', '--rootfs', 'initramfs'], {
    cwd,
    env: { LAB_PROFILE: 'debian', ...process.env },
  });
  await bootSnapshots('initramfs');
  await warmDemo();
  await execa(process.execPath, [LAB, 'build', '--rootfs', 'debian'], {
    cwd,
    env: { LAB_PROFILE: 'debian', ...process.env },
  });
  await bootSnapshots('debian');
}

try {
  if (process.env.LAB_BENCH_ONLY === 'boot') await bootOnly();
  else await everything();
} finally {
  await execa('node', [LAB, 'down'], { cwd, reject: false });
}

async function everything() {
  // report.html of the seed's 40,482-line function_graph trace, against parsing the trace alone (the floor)
  const fixture = path.resolve(
    import.meta.dirname,
    '..',
    '..',
    'shared',
    'fixtures',
    'ftrace',
    'function_graph_manual_compaction_x86.txt',
  );
  if (existsSync(fixture)) {
    const run = path.join(cwd, 'fixture-run');
    mkdirSync(run);
    copyFileSync(fixture, path.join(run, 'trace.txt'));
    writeFileSync(
      path.join(run, 'manifest.json'),
      JSON.stringify({
        id: 'fixture',
        kind: 'trace',
        command: ['lab', 'trace'],
        request: { tracer: 'function_graph' },
      }),
    );
    await timed('lab report: 40,482-line fixture trace', ['report', run], { repeat: 5 });
    results.at(-1).html_bytes = statSync(path.join(run, 'report.html')).size;
    const parse = path.resolve(import.meta.dirname, '..', 'dist', 'trace', 'ftrace-parse.js');
    await timedRaw(
      'raw: node parsing the same trace only',
      `node --input-type=module -e "import {parseTrace} from '${parse}'; import ` +
        `fs from 'node:fs'; parseTrace(fs.readFileSync('${run}/trace.txt', 'utf8'))"`,
      { repeat: 5 },
    );
  } else console.log('../shared/fixtures is absent: the report benchmark is skipped');
  await timed('lab build (warm: no make)', ['build', '--rootfs', 'initramfs'], { repeat: 5 });
  await timed('lab up (TCG, to guest ready)', ['up', '--kgdb']);
  await timed('lab exec -- true (round trip)', ['exec', '--', 'true'], { repeat: 20 });
  await timed(
    'lab debug: 10 hits, compact trigger',
    [
      'debug',
      '--break',
      'compact_zone',
      '--break',
      'compact_unlock_should_abort',
      '--trigger',
      'compact',
      '--count',
      '10',
    ],
    { repeat: 5 },
  );
  await timed(
    'lab debug: 100 hits, compact trigger',
    ['debug', '--break', 'compact_unlock_should_abort', '--trigger', 'compact', '--count', '100'],
    { repeat: 3 },
  );
  // one hot breakpoint through both transports: hits per second between the first hit and the last
  for (const [via, count] of [
    ['gdbstub', 200],
    ['kgdb', 6],
  ]) {
    const r = await execa(
      process.execPath,
      [
        LAB,
        'debug',
        '--via',
        via,
        '--break',
        'compact_unlock_should_abort',
        '--trigger',
        'compact',
        '--count',
        String(count),
        '--timeout',
        '300',
        '--json',
      ],
      { cwd, env: { LAB_PROFILE: 'debian', ...process.env }, reject: false },
    );
    if (r.exitCode !== 0) throw new Error(`lab debug --via ${via} failed (${r.exitCode}): ${r.stderr}`);
    const { runDir } = JSON.parse(r.stdout);
    const elapsed = readFileSync(path.join(runDir, 'hits.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).elapsed);
    const rate = (elapsed.length - 1) / (elapsed.at(-1) - elapsed[0]);
    results.push({
      name: `hits per second, compact_unlock_should_abort, via ${via}`,
      runs: 1,
      hits: elapsed.length,
      hits_per_s: +rate.toFixed(2),
    });
    console.log(`${`hits/s via ${via}`.padEnd(40)} ${rate.toFixed(2)} (${elapsed.length} hits)`);
  }
  // the recorder's cost per hit: the same hot breakpoint with a gdb stop() that only counts
  {
    const state = JSON.parse(readFileSync(path.join(cwd, '.lab', 'state.json'), 'utf8'));
    const bare = execa(
      'gdb',
      ['-nx', '-q', '-batch', '-x', path.join(import.meta.dirname, 'bare-count.py'), state.kernel.vmlinux],
      {
        env: {
          LAB_BENCH_TARGET: `127.0.0.1:${state.gdbPort}`,
          LAB_BENCH_BREAK: 'compact_unlock_should_abort',
          LAB_BENCH_COUNT: '200',
        },
        reject: false,
        buffer: true,
      },
    );
    let out = '';
    bare.stdout.on('data', (d) => (out += d));
    while (!out.includes('@armed')) await new Promise((r) => setTimeout(r, 100));
    await execa(process.execPath, [LAB, 'exec', '--', 'sh', '-c', 'echo 1 > /proc/sys/vm/compact_memory'], {
      cwd,
      env: { LAB_PROFILE: 'debian', ...process.env },
    });
    await bare;
    const m = /@done (\d+) ([\d.]+)/.exec(out);
    if (!m) throw new Error(`the bare counting gdb did not finish: ${out.slice(-300)}`);
    const bareRate = (Number(m[1]) - 1) / Number(m[2]);
    const recorder = results.find((x) => x.name === 'hits per second, compact_unlock_should_abort, via gdbstub');
    results.push({
      name: 'bare gdb stop() counting, compact_unlock_should_abort',
      runs: 1,
      hits: Number(m[1]),
      hits_per_s: +bareRate.toFixed(2),
      recorder_share: +(recorder.hits_per_s / bareRate).toFixed(3),
      raw: true,
    });
    console.log(
      `${'bare gdb count stop()'.padEnd(40)} ${bareRate.toFixed(2)} hits/s; the ` +
        `recorder runs at ${((100 * recorder.hits_per_s) / bareRate).toFixed(1)} % of it`,
    );
  }
  // the class lab: a course lab.json here, the debug runs above handed in and checked
  await execa(process.execPath, [LAB, 'init'], { cwd });
  await timed('lab pack (the runs above)', ['pack', '--student', 'bench', '-o', 'bundle.tar.gz'], { repeat: 3 });
  mkdirSync(path.join(cwd, 'bundles'));
  for (let i = 0; i < 40; i++) copyFileSync(path.join(cwd, 'bundle.tar.gz'), path.join(cwd, 'bundles', `s${i}.tar.gz`));
  const bundles = Array.from({ length: 40 }, (_, i) => `bundles/s${i}.tar.gz`);
  // exit 1: the runs above are not the course's exercises, which is what a check is for
  await timed('lab check: 40 bundles', ['check', ...bundles], { repeat: 3, exitCodes: [0, 1] });
  await timedRaw(
    'raw: tar -xzf + sha256sum, 40 bundles',
    'for b in bundles/*.tar.gz; do d=$(mktemp -d); tar -xzf "$b" -C "$d" && (cd ' +
      '"$d" && find . -type f -exec sha256sum {} + >/dev/null); rm -rf "$d"; done',
    { repeat: 3 },
  );
  await timed('lab lock (warm: hashes kernel, initramfs, image)', ['lock'], { repeat: 3 });
  await timed('lab verify (warm)', ['verify'], { repeat: 3 });
  const lock = JSON.parse(readFileSync(path.join(cwd, '.lab', 'build.json'), 'utf8'));
  await timedRaw(
    'raw: sha256sum bzImage vmlinux rootfs',
    `sha256sum ${lock.kernel.bzImage} ${lock.kernel.vmlinux} ${lock.rootfs.file} >/dev/null`,
    { repeat: 3 },
  );
  await timed('lab down', ['down']);
  await upVersusQemu();
  await warmDemo();
  // the Debian image: boot, exec, and the two engines
  await timed('lab build (warm, Debian image)', ['build'], { repeat: 1 });
  await bootSnapshots('debian');
  await debianBoot();
  await execVersusSsh();
  await engineVersusGdb();
  await execa(process.execPath, [LAB, 'down'], { cwd });
  await buildVersusMake();
}

const out = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  results,
};
mkdirSync(path.join(import.meta.dirname, 'results'), { recursive: true });
const file = path.join(import.meta.dirname, 'results', `${out.date.slice(0, 10)}.json`);
writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
console.log(`written to ${path.relative(process.cwd(), file)}`);
