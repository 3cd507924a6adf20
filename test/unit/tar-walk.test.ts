/**
 * The tar walk between a bundle's gunzip and node-tar (bundle/tar-walk.ts):
 * it sizes entries as node-tar does, refuses what could make the two read a
 * tar differently, counts entries and bytes, and ends the archive.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import { TarProblem, TarWalk, TRAILING_MAX } from '../../src/bundle/tar-walk.js';
import { tempDir } from '../helpers/cli.js';
import { TAR_END, tarEntry } from '../helpers/hostile-bundles.mjs';

const LIMITS = { unpackedBytes: 1 << 20, entries: 10 };

/** Walks the archive in chunks of `chunk` bytes; what the walk passed on, and the walk. */
function walk(archive: Buffer, limits = LIMITS, chunk = 700): { passed: number; walk: TarWalk } {
  const w = new TarWalk(limits);
  let passed = 0;
  for (let i = 0; i < archive.length; i += chunk) passed += w.take(archive.subarray(i, i + chunk)).length;
  return { passed, walk: w };
}

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof TarProblem) return err.message;
    throw err;
  }
  throw new Error('no TarProblem');
}

/** A pax header ("x") with these records, as node-tar writes one. */
function pax(records: Record<string, string>): Buffer {
  const body = Object.entries(records)
    .map(([k, v]) => {
      const line = ` ${k}=${v}\n`;
      let n = line.length + 1;
      while (String(n).length + line.length !== n) n++;
      return `${n}${line}`;
    })
    .join('');
  return tarEntry('PaxHeader/x', Buffer.from(body), { type: 'x' });
}

describe('the tar walk', () => {
  it('walks a tar as node-tar writes it to its end, passing on everything up to it', async () => {
    const dir = tempDir('walk');
    const long = `runs/r1/${'h'.repeat(120)}`;
    mkdirSync(path.join(dir, 'runs', 'r1'), { recursive: true });
    writeFileSync(path.join(dir, long), 'x'.repeat(3000));
    writeFileSync(path.join(dir, 'bundle.json'), '{}');
    const file = path.join(dir, 'b.tar');
    await tar.create({ file, cwd: dir, portable: true }, ['bundle.json', long]);
    const archive = readFileSync(file);
    const { passed, walk: w } = walk(archive);
    expect(w.ended).toBe(true);
    expect(w.entries).toBe(3); // bundle.json, a pax header for the long name, the file
    expect(w.trailing).toBeLessThanOrEqual(TRAILING_MAX);
    expect(passed).toBe(archive.length - w.trailing);
  });

  it("sizes an entry by its pax header's size, and a directory as empty, as node-tar does", () => {
    // the header says 0 bytes, the pax header 1024: node-tar reads 1024 bytes of data, so must the walk
    const hidden = tarEntry('a', Buffer.alloc(1024, 0x41)).subarray(0, 512);
    hidden.write('00000000000\0', 124, 'latin1');
    const sum = [...hidden].reduce((s, b, i) => s + (i >= 148 && i < 156 ? 0x20 : b), 0);
    hidden.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    const archive = Buffer.concat([pax({ size: '1024' }), hidden, Buffer.alloc(1024, 0x41), TAR_END]);
    // the pax header's own body, "13 size=1024\n", then the 1024 bytes
    expect(walk(archive).walk).toMatchObject({ ended: true, entries: 2, dataBytes: 13 + 1024 });
    const dirWithSize = Buffer.concat([tarEntry('d/', Buffer.alloc(0), { type: '5', size: 4096 }), TAR_END]);
    expect(walk(dirWithSize).walk).toMatchObject({ ended: true, dataBytes: 0 });
    const fileNamedAsDir = Buffer.concat([tarEntry('d/', Buffer.alloc(0), { size: 4096 }), TAR_END]);
    expect(walk(fileNamedAsDir).walk).toMatchObject({ ended: true, dataBytes: 0 });
  });

  it('refuses what lab pack never writes and could make node-tar read it otherwise', () => {
    const base256 = tarEntry('a');
    base256[124] = 0x80;
    expect(problem(() => walk(base256))).toMatch(/no valid tar header|base-256/);
    expect(problem(() => walk(Buffer.concat([tarEntry('g', Buffer.from('9 a=b\n'), { type: 'g' })])))).toMatch(
      /global pax header/,
    );
    expect(problem(() => walk(tarEntry('././@LongLink', Buffer.from('x'), { type: 'L' })))).toMatch(/GNU long-name/);
    expect(problem(() => walk(tarEntry('s', Buffer.alloc(0), { type: 'S' })))).toMatch(/tar type "S"/);
    expect(problem(() => walk(pax({ size: '1e3' })))).toMatch(/gives the size "1e3"/);
    expect(problem(() => walk(pax({ path: 'é' })))).toMatch(/not ASCII/);
    const damaged = tarEntry('a');
    damaged[0] = 0x62;
    expect(problem(() => walk(damaged))).toMatch(/not a tar archive \(no valid tar header at byte 0\)/);
    expect(problem(() => walk(Buffer.from('\x1f\x8b\x08'.padEnd(512, '\0'))))).toMatch(/not a tar archive/);
    expect(problem(() => walk(Buffer.from([0x1f, 0x8b, 0x08])).walk.finish())).toBe(
      'it is not a tar archive (3 bytes, no header)',
    );
    expect(problem(() => walk(tarEntry('a', Buffer.alloc(1000)).subarray(0, 900)).walk.finish())).toBe(
      'it is cut short: it ends inside an entry, at byte 900',
    );
    expect(problem(() => walk(TAR_END).walk.finish())).toBe('it holds nothing');
  });

  it('refuses past the entries and bytes it may hold, and more than 64 KiB after the end', () => {
    const many = Buffer.concat(Array.from({ length: 11 }, (_, i) => tarEntry(`f${i}`)));
    expect(problem(() => walk(many))).toBe('it has more than 10 entries (the limit)');
    const claims = tarEntry('big', Buffer.alloc(0), { size: 2 << 20 }).subarray(0, 512);
    expect(problem(() => walk(claims))).toBe('it unpacks to more than 1 MiB');
    const end = Buffer.concat([tarEntry('a', Buffer.from('x')), TAR_END]);
    expect(walk(Buffer.concat([end, Buffer.alloc(TRAILING_MAX - 10240)])).walk.ended).toBe(true);
    expect(problem(() => walk(Buffer.concat([end, Buffer.alloc(TRAILING_MAX)]), LIMITS, 1 << 20))).toBe(
      "more than 64 KiB follow the tar archive's end",
    );
  });
});
