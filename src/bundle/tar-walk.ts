/**
 * The tar stream of a bundle walked block by block as it inflates, before
 * node-tar sees it (pure: bytes in, the bytes to pass on out, or a reason to
 * refuse). It counts entries and what they claim to hold, and finds the
 * archive's end (two zero blocks), after which only tar's record padding
 * may follow: node-tar buffers whatever comes after the end, each chunk
 * copied onto the last, so megabytes of zeros there cost it minutes.
 *
 * It sizes entries as node-tar does, so both see the same headers: a size
 * a pax header ("x") gives for the next entry, none for a directory (or a
 * file named with a trailing "/"). What could make the two differ and lab
 * pack never writes is refused: a size in base-256, a global pax header, a
 * GNU long-name header, a pax header not in ASCII or over META_MAX.
 */
import { sizeInWords } from '../util/checked-file.js';

const BLOCK = 512;
/** What may follow the archive's end: tar pads to a 10 KiB record; other writers to more. */
export const TRAILING_MAX = 64 * 1024;
/** A pax header's body: lab pack's hold a path, a size and a time. */
const META_MAX = 64 * 1024;

/** Why a bundle's tar is refused, in words for the teacher. */
export class TarProblem extends Error {}

export interface TarWalkLimits {
  /** What the entries may hold together (their sizes, as the headers give them). */
  unpackedBytes: number;
  /** Headers, a pax header counted as one. */
  entries: number;
}

/** The entry types that are files, links, devices or directories: a pax header's size and path apply to them. */
const FS_TYPES = new Set(['0', '', '1', '2', '3', '4', '5', '6', '7', 'D']);

export class TarWalk {
  entries = 0;
  /** What the entries hold, by their headers. */
  dataBytes = 0;
  /** Bytes after the archive's end. */
  trailing = 0;
  ended = false;
  #offset = 0;
  #header = Buffer.alloc(BLOCK);
  #headerFill = 0;
  /** Bytes of the current entry's blocks still to come, padding included. */
  #remain = 0;
  /** The current pax header's body, while it comes, and how long it is. */
  #meta: Buffer[] | undefined;
  #metaSize = 0;
  #pax: { size?: number; path?: string } = {};
  #sawZeroBlock = false;

  constructor(private readonly limits: TarWalkLimits) {}

  /** The part of chunk that belongs to the archive, to pass on; throws TarProblem. */
  take(chunk: Buffer): Buffer {
    let pos = 0;
    while (pos < chunk.length && !this.ended) {
      if (this.#remain > 0) {
        const n = Math.min(this.#remain, chunk.length - pos);
        this.#meta?.push(chunk.subarray(pos, pos + n));
        this.#remain -= n;
        this.#offset += n;
        pos += n;
        if (this.#remain === 0 && this.#meta) this.#endMeta();
      } else {
        const n = Math.min(BLOCK - this.#headerFill, chunk.length - pos);
        chunk.copy(this.#header, this.#headerFill, pos, pos + n);
        this.#headerFill += n;
        this.#offset += n;
        pos += n;
        if (this.#headerFill === BLOCK) {
          this.#headerFill = 0;
          this.#onHeader(this.#header);
        }
      }
    }
    if (pos === chunk.length) return chunk;
    this.trailing += chunk.length - pos;
    if (this.trailing > TRAILING_MAX)
      throw new TarProblem(`more than ${sizeInWords(TRAILING_MAX)} follow the tar archive's end`);
    return chunk.subarray(0, pos);
  }

  /** At the stream's end: no entry, or a tar cut short inside a header or an entry, is refused. */
  finish(): void {
    const partial = this.#headerFill > 0 || this.#remain > 0;
    if (this.entries === 0)
      throw new TarProblem(partial ? `it is not a tar archive (${this.#offset} bytes, no header)` : 'it holds nothing');
    if (partial) throw new TarProblem(`it is cut short: it ends inside an entry, at byte ${this.#offset}`);
  }

  #onHeader(block: Buffer): void {
    const at = this.#offset - BLOCK;
    if (block.every((b) => b === 0)) {
      this.ended = this.#sawZeroBlock;
      this.#sawZeroBlock = true;
      return;
    }
    this.#sawZeroBlock = false;
    if (!checksumOk(block)) throw new TarProblem(`it is not a tar archive (no valid tar header at byte ${at})`);
    if (++this.entries > this.limits.entries)
      throw new TarProblem(`it has more than ${this.limits.entries} entries (the limit)`);
    const type = block[156] === 0 ? '' : String.fromCharCode(block[156]!);
    let size = octalSize(block, at);
    if (type === 'x' || type === 'X') {
      if (size > META_MAX) throw new TarProblem(`a pax header at byte ${at} is ${sizeInWords(size)}`);
      this.#meta = [];
      this.#metaSize = size;
    } else if (type === 'g') {
      throw new TarProblem(`it has a global pax header (at byte ${at}), which lab pack never writes`);
    } else if (type === 'L' || type === 'K' || type === 'N') {
      throw new TarProblem(`it has a GNU long-name header (at byte ${at}), which lab pack never writes`);
    } else if (FS_TYPES.has(type)) {
      size = this.#pax.size ?? size;
      // node-tar: a directory has no body; a file whose name ends in "/" is a directory
      const name = this.#pax.path ?? block.subarray(0, 100).toString('utf8').replace(/\0.*/, '');
      if (type === '5' || ((type === '0' || type === '') && name.endsWith('/'))) size = 0;
      this.#pax = {};
    } else {
      // node-tar skips an entry of another type (sparse, volume label...) without a word
      const kind = JSON.stringify(type);
      throw new TarProblem(`an entry at byte ${at} is of tar type ${kind}, which lab pack never writes`);
    }
    this.dataBytes += size;
    if (this.dataBytes > this.limits.unpackedBytes)
      throw new TarProblem(`it unpacks to more than ${sizeInWords(this.limits.unpackedBytes)}`);
    this.#remain = Math.ceil(size / BLOCK) * BLOCK;
    if (this.#remain === 0 && this.#meta) this.#endMeta();
  }

  /** A pax header's records, read as node-tar reads them; size and path kept for the next entry. */
  #endMeta(): void {
    const body = Buffer.concat(this.#meta!).subarray(0, this.#metaSize);
    this.#meta = undefined;
    if (body.some((b) => b > 0x7e)) throw new TarProblem('a pax header is not ASCII (lab pack writes ASCII names)');
    for (const line of body.toString('latin1').replace(/\n$/, '').split('\n')) {
      const n = parseInt(line, 10);
      if (n !== line.length + 1) continue;
      const kv = line.slice(`${n} `.length).split('=');
      const key = kv.shift();
      const value = kv.join('=').replace(/\0.*/, '');
      if (key === 'path') this.#pax.path = value;
      if (key !== 'size') continue;
      if (!/^\d{1,15}$/.test(value)) throw new TarProblem(`a pax header gives the size "${value.slice(0, 20)}"`);
      this.#pax.size = Number(value);
    }
  }
}

/** A header's checksum: the unsigned sum of its bytes, the checksum field read as spaces (node-tar reads 12 bytes). */
function checksumOk(block: Buffer): boolean {
  const field = block.subarray(148, 160).toString('latin1').replace(/\0.*$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += block[i]!;
  return sum === parseInt(field, 8);
}

/** The size field (offset 124, 12 bytes), octal; base-256 (first byte's high bit) is refused. */
function octalSize(block: Buffer, at: number): number {
  if (block[124]! & 0x80) throw new TarProblem(`an entry at byte ${at} gives its size in base-256 (over 8 GiB)`);
  const field = block.subarray(124, 136).toString('latin1').replace(/\0.*$/, '').trim();
  if (!/^[0-7]+$/.test(field)) throw new TarProblem(`an entry at byte ${at} has no size`);
  return parseInt(field, 8);
}
