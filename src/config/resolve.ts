import { archSpec, hostArch, type Arch } from '../arch/arch.js';
import path from 'node:path';
import { LabError } from '../errors.js';
import { looksLikeUrl, urlProblem } from '../util/url.js';
import { projectRoot } from './paths.js';
import type { KernelBase, Profile, Source } from './profile.js';

export interface KernelFlags {
  kernelSource?: string;
  kernelSha256?: string;
  config?: string;
  base?: 'tinyconfig' | 'defconfig';
  fragments?: string[];
  /** Fragments merged after the others (a matrix's kernel axis): absolute paths or names in kernel-configs/. */
  extraFragments?: string[];
  /** --arch: the guest's architecture, over the profile's. */
  arch?: Arch;
}

export type PathKind = 'file' | 'dir' | 'missing';

export interface KernelSelection {
  source: Source;
  base: KernelBase;
  fragments: string[];
  /** True when the user named the source: no fallback to another profile then. */
  explicitSource: boolean;
  arch: Arch;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** Turns a --kernel-source value into a source: a URL (with --kernel-sha256), a tarball, or a tree. */
export function sourceFromFlag(value: string, sha256: string | undefined, kindOf: (p: string) => PathKind): Source {
  if (sha256 !== undefined && !SHA256.test(sha256)) {
    throw new LabError('BAD_SHA256', `--kernel-sha256 "${sha256}" is not a sha256`, {
      hint: 'give 64 lowercase hex digits',
    });
  }
  if (looksLikeUrl(value)) {
    const problem = urlProblem(value);
    if (problem) throw new LabError('BAD_URL', `--kernel-source ${JSON.stringify(value)} ${problem}`);
    if (!sha256) {
      throw new LabError('SHA256_REQUIRED', `--kernel-source ${value} is a URL and needs its sha256`, {
        hint: 'add --kernel-sha256 <hex>: downloads are verified before use',
      });
    }
    return { kind: 'url', url: value, sha256, mirrors: [] };
  }
  const resolved = path.resolve(value);
  switch (kindOf(resolved)) {
    case 'dir':
      return { kind: 'dir', path: resolved };
    case 'file':
      return sha256 ? { kind: 'file', path: resolved, sha256 } : { kind: 'file', path: resolved };
    case 'missing':
      throw new LabError('SOURCE_MISSING', `--kernel-source ${value} does not exist`, {
        hint: 'give a kernel tarball, a source directory, or an https URL with --kernel-sha256',
      });
  }
}

/** The kernel to build: the profile's, with every flag applied on top (pure but for kindOf). */
export function selectKernel(
  profile: Profile,
  flags: KernelFlags,
  kindOf: (p: string) => PathKind,
  host: Arch = hostArch(),
): KernelSelection {
  const arch = flags.arch ?? profile.arch ?? host;
  const source = flags.kernelSource
    ? sourceFromFlag(flags.kernelSource, flags.kernelSha256, kindOf)
    : profile.kernel.source;
  let base: KernelBase = flags.base ?? profile.kernel.base;
  if (flags.config) {
    const file = path.resolve(flags.config);
    if (kindOf(file) !== 'file') {
      throw new LabError('CONFIG_MISSING', `--config ${flags.config} is not a file`, {
        hint: 'give a kernel .config file',
      });
    }
    base = { file };
  }
  // a --fragment is a file here, else a name in kernel-configs/ (as a profile's are)
  const given = flags.fragments?.map((f) => (kindOf(path.resolve(f)) === 'file' ? path.resolve(f) : f));
  // the architecture's own fragment (what its QEMU machine needs) goes on the profile's
  const named = [...(given ?? profile.kernel.fragments), ...archSpec(arch).fragments, ...(flags.extraFragments ?? [])];
  // a foreign full config is first made buildable here, then given the lab's options
  const fragments = (typeof base === 'string' ? named : ['foreign.config', ...named]).map((f) =>
    path.isAbsolute(f) ? f : path.join(projectRoot(), 'kernel-configs', f),
  );
  for (const f of fragments) {
    if (kindOf(f) !== 'file') {
      throw new LabError('FRAGMENT_MISSING', `config fragment ${f} does not exist`, {
        hint: 'give --fragment a file, or the name of one in kernel-configs/; or check the profile',
      });
    }
  }
  return { source, base, fragments, explicitSource: flags.kernelSource !== undefined, arch };
}
