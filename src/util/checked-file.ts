import { constants, openSync, closeSync, fstatSync, readSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { LabError, type ErrorCode } from '../errors.js';

/**
 * Reading a file lab did not just write (a record, a run file, a bundle's
 * member, a file a person wrote) without trusting it: only a regular file
 * (a FIFO or a device would block or never end), opened without following
 * a last-component link where a record is expected, and never more than
 * maxBytes. Errors are one LabError naming the file and what is wrong with
 * it, never its contents.
 */
export interface CheckedRead {
  /** the error code of everything wrong with the file */
  code: ErrorCode;
  /** refuse more than this many bytes */
  maxBytes: number;
  /** 'refuse' (the default): a link is an error; 'follow': its target is read */
  links?: 'refuse' | 'follow';
  /** what the file is, for the message: "the run's hits" */
  what?: string;
  hint?: string;
}

const MiB = 1024 * 1024;

export function sizeInWords(bytes: number): string {
  if (bytes >= MiB) return `${Math.round((bytes / MiB) * 10) / 10} MiB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KiB`;
  return `${bytes} bytes`;
}

function fail(file: string, read: CheckedRead, problem: string): LabError {
  const name = read.what ? `${read.what} (${file})` : file;
  return new LabError(read.code, `${name} ${problem}`, read.hint ? { hint: read.hint } : {});
}

function openFlags(read: CheckedRead): number {
  const noFollow = read.links === 'follow' ? 0 : constants.O_NOFOLLOW;
  return constants.O_RDONLY | constants.O_NONBLOCK | noFollow;
}

function openError(file: string, read: CheckedRead, err: unknown): LabError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return fail(file, read, 'does not exist');
  if (code === 'ELOOP' || code === 'EMLINK') return fail(file, read, 'is a link, not a file');
  if (code === 'EISDIR') return fail(file, read, 'is a directory, not a file');
  if (code === 'EACCES' || code === 'EPERM') return fail(file, read, 'cannot be read (permission denied)');
  return fail(file, read, `cannot be read (${code ?? 'unknown error'})`);
}

function checkStats(file: string, read: CheckedRead, stats: Stats): void {
  if (stats.isDirectory()) throw fail(file, read, 'is a directory, not a file');
  if (!stats.isFile()) throw fail(file, read, 'is not a regular file (a device, FIFO or socket)');
  if (stats.size > read.maxBytes) {
    throw fail(file, read, `is ${sizeInWords(stats.size)}, over the ${sizeInWords(read.maxBytes)} lab reads`);
  }
}

/** The file opened without blocking and checked (regular, within maxBytes); closed again if a check fails. */
async function openChecked(file: string, read: CheckedRead): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(file, openFlags(read));
  } catch (err) {
    throw openError(file, read, err);
  }
  try {
    const stats = await handle.stat();
    checkStats(file, read, stats);
    return { handle, size: stats.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** The bytes of a checked file: at most maxBytes, even if it grows while read. */
export async function readCheckedBytes(file: string, read: CheckedRead): Promise<Buffer> {
  const { handle, size } = await openChecked(file, read);
  try {
    const buffer = Buffer.alloc(Math.min(read.maxBytes, size) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > read.maxBytes) throw fail(file, read, `grew past the ${sizeInWords(read.maxBytes)} lab reads`);
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/**
 * A checked file opened for streaming (a large trace read line by line):
 * the checks of readCheckedBytes; the stream stops after maxBytes + 1 bytes,
 * so a reader that counts past maxBytes knows the file grew while read.
 */
export async function openCheckedStream(file: string, read: CheckedRead): Promise<NodeJS.ReadableStream> {
  const { handle } = await openChecked(file, read);
  const stream = handle.createReadStream({ end: read.maxBytes });
  return stream;
}

export async function readCheckedText(file: string, read: CheckedRead): Promise<string> {
  return withoutBom((await readCheckedBytes(file, read)).toString('utf8'));
}

export function readCheckedTextSync(file: string, read: CheckedRead): string {
  let fd: number;
  try {
    fd = openSync(file, openFlags(read));
  } catch (err) {
    throw openError(file, read, err);
  }
  try {
    const stats = fstatSync(fd);
    checkStats(file, read, stats);
    const buffer = Buffer.alloc(Math.min(read.maxBytes, stats.size) + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, length);
      if (n === 0) break;
      length += n;
    }
    if (length > read.maxBytes) throw fail(file, read, `grew past the ${sizeInWords(read.maxBytes)} lab reads`);
    return withoutBom(buffer.subarray(0, length).toString('utf8'));
  } finally {
    closeSync(fd);
  }
}

/** Editors on some systems start a UTF-8 file with a byte order mark; JSON.parse refuses it. */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * JSON.parse without its message, which quotes the text ("root:x:0:0"... is
 * not valid JSON): the error says where the text stops being JSON, never what it says.
 */
export function parseJsonQuietly(text: string, file: string, code: ErrorCode, hint?: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    return rethrow(new LabError(code, `${file} is not valid JSON${whereJsonStops(err)}`, hint ? { hint } : {}));
  }
}

/** " at byte N" from JSON.parse's error, or "": the part of its message that quotes nothing. */
export function whereJsonStops(err: unknown): string {
  const position = /position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
  return position === undefined ? '' : ` at byte ${position}`;
}

function rethrow(err: LabError): never {
  throw err;
}
