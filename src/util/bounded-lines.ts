import { openCheckedStream, sizeInWords, type CheckedRead } from './checked-file.js';
import { LabError } from '../errors.js';

/**
 * Each line of a checked file (util/checked-file.ts: a regular file, no
 * link, at most read.maxBytes), read as a stream: the file is never one
 * string, and a line longer than maxLine is never assembled, only counted
 * and skipped. Returns how many lines were skipped so.
 */
export async function forEachLine(
  file: string,
  read: CheckedRead,
  maxLine: number,
  onLine: (line: string) => void,
): Promise<{ longLines: number }> {
  const stream = await openCheckedStream(file, read);
  let pieces: Buffer[] = [];
  let length = 0;
  let skipping = false;
  let longLines = 0;
  let total = 0;
  const add = (part: Buffer) => {
    if (skipping) return;
    if (length + part.length > maxLine) {
      skipping = true;
      longLines++;
      pieces = [];
      length = 0;
      return;
    }
    pieces.push(part);
    length += part.length;
  };
  const endLine = () => {
    if (!skipping) onLine(Buffer.concat(pieces, length).toString('utf8'));
    pieces = [];
    length = 0;
    skipping = false;
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      add(chunk.subarray(start, nl));
      endLine();
      start = nl + 1;
    }
    if (start < chunk.length) add(chunk.subarray(start));
  }
  if (total > read.maxBytes)
    throw new LabError(read.code, `${file} grew past the ${sizeInWords(read.maxBytes)} lab reads`);
  if (length > 0 || skipping) endLine();
  return { longLines };
}
