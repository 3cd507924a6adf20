/** The types of hostile-bundles.mjs (plain JavaScript, so bench/ runs it without a build). */
export interface HostileBundle {
  name: string;
  about: string;
  write(file: string): void;
  /** The reason lab check refuses it with, or null when it is judged. */
  reason: RegExp | null;
}

export const HOSTILE_LAB: {
  name: string;
  profile: string;
  exercises: Array<{ name: string; debug: { break: string[] }; expect: { hits: string[] } }>;
};
export const HOSTILE: HostileBundle[];
export const TAR_END: Buffer;
export function tarEntry(
  name: string,
  data?: Buffer,
  options?: { type?: string; size?: number; linkName?: string },
): Buffer;
export function bundleTar(
  files: Record<string, string>,
  options?: { manifest?: Record<string, unknown>; extra?: Buffer[] },
): Buffer;
export function debugRun(hits?: string): Record<string, string>;
export function gzipZeros(mib: number): Buffer;
export function millionHits(n?: number): string;
export function writeHostileBundles(dir: string, names?: string[]): Array<HostileBundle & { file: string }>;
export function writeGoodBundle(file: string, student?: string): string;
export function rawControl(text: string): string | undefined;
