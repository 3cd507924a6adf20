import type { FileHandle } from 'node:fs/promises';

/** Up to length bytes of an open file from position: fewer where the file ends first. */
export async function readRange(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}
