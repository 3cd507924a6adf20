// Hand-in bundles made by hand, to be hostile to lab check: tar headers
// written byte by byte (so a header can lie about its size), gzip from
// node's zlib (members concatenated, so a bomb of hundreds of MiB is made
// from one compressed block of zeros in a second). Shared by
// test/integration/hostile-bundles.test.ts and bench/hostile-bundles.mjs.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const MiB = 1024 * 1024;

/** The lab.json these bundles are checked against: one debug exercise on the breakpoint b1. */
export const HOSTILE_LAB = {
  name: 'course',
  profile: 'debian',
  exercises: [{ name: 'bp', debug: { break: ['b1'] }, expect: { hits: ['b1'] } }],
};

function octal(n, width) {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/**
 * One tar entry: a ustar header, then data padded to 512. `size` is what the
 * header claims (default: the data's length); `type` is the type flag.
 */
export function tarEntry(name, data = Buffer.alloc(0), { type = '0', size = data.length, linkName = '' } = {}) {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100, 'latin1');
  header.write(octal(0, 8), 108, 'latin1');
  header.write(octal(0, 8), 116, 'latin1');
  header.write(octal(size, 12), 124, 'latin1');
  header.write(octal(0, 12), 136, 'latin1');
  header.write(type, 156, 'latin1');
  header.write(linkName, 157, 100, 'utf8');
  header.write('ustar\u000000', 257, 'latin1');
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(octal(sum, 7) + ' ', 148, 'latin1');
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, padding]);
}

/** The end of a tar archive, padded to tar's 10 KiB record as tar writes it. */
export const TAR_END = Buffer.alloc(10240);

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

/**
 * A bundle as lab pack writes it: bundle.json listing every file by sha256,
 * then the files; `manifest` overrides bundle.json's fields, `extra` are
 * entries (tarEntry) after the files, unlisted.
 */
export function bundleTar(files, { manifest = {}, extra = [] } = {}) {
  const bodies = Object.entries(files).map(([name, text]) => [name, Buffer.from(text)]);
  const listed = Object.fromEntries(bodies.map(([name, b]) => [name, sha256(b)]));
  const json = {
    bundleVersion: 1,
    lab: 'course',
    student: 'ada',
    createdAt: '2026-01-01T00:00:00Z',
    lockDigest: null,
    runs: ['r1'],
    files: listed,
    ...manifest,
  };
  return Buffer.concat([
    tarEntry('bundle.json', Buffer.from(JSON.stringify(json))),
    ...bodies.map(([name, b]) => tarEntry(name, b)),
    ...extra,
  ]);
}

/** A debug run's files: its manifest asks for b1, its hits the given text. */
export function debugRun(
  hits = '{"breakpoint":"b1","function":"b1","frames":[{"function":"b1","pc":"0x1"}]}\n',
  by = 'ada',
) {
  return {
    // by: whose run, so two students' hand-made runs are not the same bytes (lab check flags those)
    'runs/r1/manifest.json': JSON.stringify({ kind: 'debug', request: { breakpoints: ['b1'] }, by }),
    'runs/r1/hits.jsonl': hits,
    'build.json': '{}',
  };
}

let zerosMemberCache;
/** A gzip stream of n MiB of zeros: one compressed MiB, repeated as gzip members. */
export function gzipZeros(mib) {
  zerosMemberCache ??= gzipSync(Buffer.alloc(MiB), { level: 9 });
  return Buffer.concat(Array.from({ length: mib }, () => zerosMemberCache));
}

/** A million breakpoints hit once each (b1, b2, ... b1000000): 23 MB of hits. */
export function millionHits(n = 1_000_000) {
  const lines = [];
  for (let i = 1; i <= n; i++) lines.push(`{"breakpoint":"b${i}"}`);
  return lines.join('\n') + '\n';
}

/**
 * Every hostile bundle, by name: how to write it into a directory, and the
 * reason lab check must refuse it with (a pattern), or null when it is
 * judged (its evidence capped).
 */
export const HOSTILE = [
  {
    name: 'gzip-bomb-small-header',
    about: 'one entry claiming 10 bytes, then 300 MiB of zeros',
    write: (file) =>
      writeFileSync(file, Buffer.concat([gzipSync(tarEntry('x', Buffer.from('0123456789'))), gzipZeros(300)])),
    reason: /follow the tar archive's end/,
  },
  {
    name: 'gzip-bomb-big-header',
    about: 'one entry claiming 300 MiB, and its 300 MiB of zeros',
    write: (file) =>
      writeFileSync(
        file,
        Buffer.concat([gzipSync(tarEntry('x', Buffer.alloc(0), { size: 300 * MiB }).subarray(0, 512)), gzipZeros(300)]),
      ),
    reason: /unpacks to more than 256 MiB/,
  },
  {
    name: 'trailing-zeros',
    about: 'a good bundle, then 8 MiB of zeros after the archive end (same gzip stream)',
    write: (file) =>
      writeFileSync(file, gzipSync(Buffer.concat([bundleTar(debugRun()), TAR_END, Buffer.alloc(8 * MiB)]))),
    reason: /follow the tar archive's end/,
  },
  {
    name: 'trailing-gzip-member',
    about: 'a good bundle, then a second gzip member inflating to 3 GiB of zeros',
    write: (file) =>
      writeFileSync(file, Buffer.concat([gzipSync(Buffer.concat([bundleTar(debugRun()), TAR_END])), gzipZeros(3072)])),
    reason: /follow the tar archive's end/,
  },
  {
    name: 'many-entries',
    about: '5,001 empty files',
    write: (file) => {
      const entries = Array.from({ length: 5_001 }, (_, i) => tarEntry(`f${i}`));
      writeFileSync(file, gzipSync(Buffer.concat([...entries, TAR_END])));
    },
    reason: /more than 5000 entries/,
  },
  {
    name: 'student-osc-title',
    about: 'student name "\\x1b]0;pwned\\x07" (sets the terminal title)',
    write: (file) =>
      writeFileSync(
        file,
        gzipSync(Buffer.concat([bundleTar(debugRun(), { manifest: { student: '\x1b]0;pwned\x07' } }), TAR_END])),
      ),
    reason: /student: a student name is letters/,
  },
  {
    name: 'student-newline',
    about: 'student name "ada\\nbob  bp  pass" (a fake row)',
    write: (file) =>
      writeFileSync(
        file,
        gzipSync(Buffer.concat([bundleTar(debugRun(), { manifest: { student: 'ada\nbob  bp  pass' } }), TAR_END])),
      ),
    reason: /student: a student name is letters/,
  },
  {
    name: 'build-json-null',
    about: 'build.json is null',
    write: (file) =>
      writeFileSync(file, gzipSync(Buffer.concat([bundleTar({ ...debugRun(), 'build.json': 'null' }), TAR_END]))),
    reason: /build\.json is null/,
  },
  {
    name: 'hits-directory',
    about: 'runs/r1/hits.jsonl is a directory',
    write: (file) => {
      const { 'runs/r1/hits.jsonl': _, ...files } = debugRun();
      const extra = [tarEntry('runs/r1/hits.jsonl/', Buffer.alloc(0), { type: '5' })];
      writeFileSync(file, gzipSync(Buffer.concat([bundleTar(files, { extra }), TAR_END])));
    },
    reason: /runs\/r1\/hits\.jsonl is a directory/,
  },
  {
    name: 'fifo-entry',
    about: 'a FIFO entry (would block a reader)',
    write: (file) => {
      const extra = [tarEntry('runs/r1/fifo', Buffer.alloc(0), { type: '6' })];
      writeFileSync(file, gzipSync(Buffer.concat([bundleTar(debugRun(), { extra }), TAR_END])));
    },
    reason: /entry runs\/r1\/fifo is a FIFO/,
  },
  {
    name: 'symlink-entry',
    about: 'an entry linking to /etc/passwd',
    write: (file) => {
      const extra = [tarEntry('runs/r1/link', Buffer.alloc(0), { type: '2', linkName: '/etc/passwd' })];
      writeFileSync(file, gzipSync(Buffer.concat([bundleTar(debugRun(), { extra }), TAR_END])));
    },
    reason: /entry runs\/r1\/link is a link/,
  },
  {
    name: 'climbing-entry',
    about: 'an entry runs/../../../hostile-escaped (out of the scratch directory and its parent)',
    write: (file) => {
      const extra = [tarEntry('runs/../../../hostile-escaped', Buffer.from('pwned'))];
      writeFileSync(file, gzipSync(Buffer.concat([bundleTar(debugRun(), { extra }), TAR_END])));
    },
    reason: /entry runs\/\.\.\/\.\.\/\.\.\/hostile-escaped climbs out of the bundle/,
  },
  {
    name: 'absolute-entry',
    about: 'an entry /tmp/hostile-absolute',
    write: (file) => {
      const extra = [tarEntry('/tmp/hostile-absolute', Buffer.from('pwned'))];
      writeFileSync(file, gzipSync(Buffer.concat([bundleTar(debugRun(), { extra }), TAR_END])));
    },
    reason: /entry \/tmp\/hostile-absolute is an absolute path/,
  },
  {
    name: 'nested-gzip',
    about: 'a .tar.gz gzipped again',
    write: (file) => writeFileSync(file, gzipSync(gzipSync(Buffer.concat([bundleTar(debugRun()), TAR_END])))),
    reason: /not a tar archive/,
  },
  {
    name: 'huge-hit-line',
    about: 'hits.jsonl of one 20 MiB line',
    write: (file) => {
      const line = `{"breakpoint":"b1","frames":[${'{"function":"f"},'.repeat((20 * MiB) / 17)}{}]}\n`;
      writeFileSync(file, gzipSync(Buffer.concat([bundleTar(debugRun(line)), TAR_END]), { level: 1 }));
    },
    reason: null,
  },
  {
    name: 'million-breakpoints',
    about: 'a million breakpoints hit once each (23 MB of hits.jsonl)',
    write: (file) =>
      writeFileSync(file, gzipSync(Buffer.concat([bundleTar(debugRun(millionHits())), TAR_END]), { level: 1 })),
    reason: null,
  },
  {
    name: 'hits-over-a-million',
    about: 'a million and one hits of the breakpoint "a" (19 MB of hits.jsonl)',
    write: (file) => {
      const hits = '{"breakpoint":"a"}\n'.repeat(1_000_001);
      writeFileSync(file, gzipSync(Buffer.concat([bundleTar(debugRun(hits)), TAR_END]), { level: 1 }));
    },
    reason: /runs\/r1\/hits\.jsonl holds more than 1000000 hits/,
  },
  {
    name: 'evidence-over-budget',
    about: 'two runs of 13.4 MB hits.jsonl each (26.8 MB of evidence)',
    write: (file) => {
      const hits = millionHits(600_000); // 13.4 MB
      const files = {
        ...debugRun(hits),
        'runs/r2/manifest.json': '{"kind":"debug"}',
        'runs/r2/hits.jsonl': hits,
      };
      const tar = bundleTar(files, { manifest: { runs: ['r1', 'r2'] } });
      writeFileSync(file, gzipSync(Buffer.concat([tar, TAR_END]), { level: 1 }));
    },
    reason: /come to .* MiB \(lab check reads at most 24 MiB/,
  },
];

/** Writes every hostile bundle (or those named) into dir; their files, in HOSTILE's order. */
export function writeHostileBundles(dir, names) {
  return HOSTILE.filter((h) => !names || names.includes(h.name)).map((h) => {
    const file = path.join(dir, `${h.name}.tar.gz`);
    h.write(file);
    return { ...h, file };
  });
}

/** A good bundle: one debug run that passes the exercise. */
export function writeGoodBundle(file, student = 'zed') {
  const hits = `{"breakpoint":"b1","function":"b1","time":"${student}","frames":[{"function":"b1","pc":"0x1"}]}\n`;
  writeFileSync(
    file,
    gzipSync(Buffer.concat([bundleTar(debugRun(hits, student), { manifest: { student } }), TAR_END])),
  );
  return file;
}

/** The first character of text a terminal acts on rather than prints (a newline excepted), or undefined. */
export function rawControl(text) {
  for (const ch of text) {
    const c = ch.codePointAt(0);
    const control = (c < 0x20 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f);
    if (control || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return ch;
  }
  return undefined;
}
