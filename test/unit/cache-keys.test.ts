import { describe, expect, it } from 'vitest';
import { DEBIAN_SUITE, debianImageKeyInputs, MASKED_UNITS } from '../../src/image/debian-plan.js';
import { configKeyInputs, KERNEL_ARCH, kernelKeyInputs } from '../../src/kernel/plan.js';
import { keyOf } from '../../src/util/hash.js';

const image = {
  mirror: 'http://deb.debian.org/debian',
  packages: ['systemd-sysv'],
  overlay: ['etc/x 644 ab'],
  toolSha256s: { 'lab-exec': 'cd' },
};
const kernel = { sourceId: 'a'.repeat(64), configSha256: 'b'.repeat(64), compiler: 'gcc (Debian 12.2.0-14) 12.2.0' };

describe('store keys come from the constants they depend on', () => {
  it('the Debian image: its suite is DEBIAN_SUITE, and another suite is another image', () => {
    expect(debianImageKeyInputs(image).suite).toBe(DEBIAN_SUITE);
    expect(keyOf(debianImageKeyInputs(image))).toBe(keyOf(debianImageKeyInputs({ ...image, suite: DEBIAN_SUITE })));
    expect(keyOf(debianImageKeyInputs(image))).not.toBe(keyOf(debianImageKeyInputs({ ...image, suite: 'trixie' })));
  });

  it('a kernel and its config: the architecture is KERNEL_ARCH, and another one is another build', () => {
    expect(kernelKeyInputs(kernel).arch).toBe(KERNEL_ARCH);
    expect(keyOf(kernelKeyInputs(kernel))).not.toBe(keyOf(kernelKeyInputs({ ...kernel, arch: 'arm64' })));
    const config = {
      sourceId: kernel.sourceId,
      base: 'tinyconfig' as const,
      fragmentSha256s: ['c'.repeat(64)],
      compiler: kernel.compiler,
    };
    expect(configKeyInputs(config).arch).toBe(KERNEL_ARCH);
    expect(keyOf(configKeyInputs(config))).not.toBe(keyOf(configKeyInputs({ ...config, arch: 'arm64' })));
    expect(keyOf(kernelKeyInputs(kernel))).not.toBe(keyOf(kernelKeyInputs({ ...kernel, modules: true })));
  });

  it(
    'stay the keys existing stores hold, but for the kernel (reproducible ' +
      'builds) and the image (masked units), which changed on purpose',
    () => {
      const unmapped = {
        source: kernel.sourceId,
        config: kernel.configSha256,
        patches: [],
        compiler: kernel.compiler,
        arch: 'x86_64',
        modules: undefined,
      };
      expect(keyOf(kernelKeyInputs(kernel))).not.toBe(keyOf(unmapped));
      expect(keyOf(kernelKeyInputs(kernel))).toBe(keyOf({ ...unmapped, recipe: 'reproducible-1' }));
      const imageBefore = {
        kind: 'debian',
        suite: 'bookworm',
        mirror: image.mirror,
        packages: image.packages,
        overlay: image.overlay,
        tools: image.toolSha256s,
      };
      // the units masked for a faster boot are part of what an image is: a new list is a new image
      expect(keyOf(debianImageKeyInputs(image))).toBe(
        keyOf({ ...imageBefore, masked: MASKED_UNITS, recipe: 'reproducible-2' }),
      );
    },
  );
});
