/**
 * lab build --fragment FILE --configure-only, on the built CLI and Debian's
 * 6.1 source (linux-source-6.1's .deb from the pool, extracted once into the shared store, as
 * kernel-config.test.ts does): the file is merged, the output says so, and
 * the final config has its option.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/kernel/config.js';
import { lab, tempDir } from '../helpers/cli.js';

describe('lab build --fragment extra.config --configure-only', () => {
  it('merges extra.config, from the current directory, and says so', async () => {
    const cwd = tempDir('fragment');
    // tinyconfig (the debian profile's base) leaves IKCONFIG off
    writeFileSync(path.join(cwd, 'extra.config'), 'CONFIG_IKCONFIG=y\n');
    const args = ['build', '--fragment', 'extra.config', '--configure-only', '--lab-dir', path.join(cwd, '.lab')];
    const json = await lab([...args, '--json'], { cwd });
    expect(json.exitCode, json.stderr).toBe(0);
    const record = JSON.parse(json.stdout) as { fragments: string[]; config: string };
    expect(record.fragments).toEqual(['extra.config']);
    expect(parseConfig(readFileSync(record.config, 'utf8')).get('CONFIG_IKCONFIG')).toBe('y');
    const plain = await lab(args, { cwd });
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^verified {2}every option of extra\.config took effect$/m);
    expect(plain.stdout).toContain(record.config);
  }, 300_000);
});
