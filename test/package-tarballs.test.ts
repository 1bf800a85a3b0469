/**
 * The packages as people install them: each publishable package is packed with `npm pack`, the
 * tarballs are unpacked into a scratch project's node_modules (third-party dependencies are linked
 * from this repo's node_modules: tests never touch the network), and the first `js` snippet of each
 * package's README runs there. A package whose tarball lacks a file its entry needs, whose README
 * snippet no longer works, or whose built code imports a package it does not declare fails here.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/tiny-setup.js';

const run = promisify(execFile);
const PACKAGES = [
  'packages/errors',
  'packages/video-io',
  'packages/feature-cache',
  'packages/models',
  'packages/train',
  'packages/eval',
  'apps/cli',
];

interface Manifest {
  name: string;
  license?: string;
  private?: boolean;
  publishConfig?: unknown;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

let scratch: string;
const files = new Map<string, string[]>();

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'kvc-tarballs-'));
  const packs = join(scratch, 'packs');
  const modules = join(scratch, 'node_modules');
  mkdirSync(join(modules, '@kvc'), { recursive: true });
  mkdirSync(packs);
  for (const pkg of PACKAGES) {
    const dir = join(REPO_ROOT, pkg);
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', packs], { cwd: dir });
    const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as {
      name: string;
      filename: string;
      files: { path: string }[];
    }[];
    files.set(
      pkg,
      info!.files.map((f) => f.path),
    );
    const into = join(modules, info!.name);
    mkdirSync(into, { recursive: true });
    await run('tar', ['-xzf', join(packs, info!.filename), '-C', into, '--strip-components=1']);
  }
  // Third-party dependencies as installed for this repo (npm would fetch the same versions).
  for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    if (entry === '@kvc' || entry.startsWith('.')) continue;
    symlinkSync(join(REPO_ROOT, 'node_modules', entry), join(modules, entry));
  }
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
}, 300_000);

afterAll(() => {
  if (scratch && !process.env.KVC_KEEP_TMP) rmSync(scratch, { recursive: true, force: true });
});

/** Bare specifiers the built JavaScript of a package imports (static and dynamic), as package names. */
function importedPackages(root: string): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"./][^'"]*)['"]/g)) {
          const spec = m[1]!;
          if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
          const parts = spec.split('/');
          names.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
        }
      }
    }
  };
  walk(join(root, 'dist'));
  return names;
}

describe.each(PACKAGES)('the %s tarball', (pkg) => {
  const installed = (): string => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, pkg, 'package.json'), 'utf8')) as Manifest;
    return join(scratch, 'node_modules', manifest.name);
  };

  it('is publishable: licensed, public, with its README and LICENSE, and no tests inside', () => {
    const manifest = JSON.parse(readFileSync(join(installed(), 'package.json'), 'utf8')) as Manifest;
    expect(manifest.private).toBeUndefined();
    expect(manifest.license).toBe('MIT');
    expect(manifest.publishConfig).toEqual({ access: 'public' });
    const list = files.get(pkg)!;
    expect(list).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE']));
    expect(list.filter((f) => /\.test\.|__tests__/.test(f))).toEqual([]);
  });

  it('declares every package its built code imports', () => {
    const manifest = JSON.parse(readFileSync(join(installed(), 'package.json'), 'utf8')) as Manifest;
    const declared = new Set([
      manifest.name,
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    expect([...importedPackages(installed())].filter((n) => !declared.has(n)).sort()).toEqual([]);
  });

  it("runs its README's snippet from the installed tarball", async () => {
    const readme = readFileSync(join(installed(), 'README.md'), 'utf8');
    const snippet = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet, 'the README has a ```js snippet').toBeDefined();
    const file = join(scratch, `snippet-${pkg.replace('/', '-')}.mjs`);
    writeFileSync(file, snippet!);
    const { stdout } = await run(process.execPath, [file], { cwd: scratch, timeout: 120_000 });
    expect(stdout.trim().length).toBeGreaterThan(0);
  }, 150_000);
});
