import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { projectRoot } from '../config/paths.js';

/**
 * One self-contained HTML page: every script and style inlined, the data as
 * JSON in the page, nothing fetched. d3-flame-graph draws the flame graphs
 * (it needs d3 as a global), uPlot the series and timelines; the page's own
 * script (src/report/page) draws the tables, heatmaps and call tree.
 */
export interface PageAssets {
  scripts: string[];
  styles: string[];
}

/** The npm packages a page inlines, in load order: [package, file inside it]. */
export const VENDOR_SCRIPTS: Array<[string, string]> = [
  ['d3', 'dist/d3.min.js'],
  ['d3-flame-graph', 'dist/d3-flamegraph.umd.min.js'],
  ['uplot', 'dist/uPlot.iife.min.js'],
];
export const VENDOR_STYLES: Array<[string, string]> = [
  ['d3-flame-graph', 'dist/d3-flamegraph.css'],
  ['uplot', 'dist/uPlot.min.css'],
];

/** A package's root directory, found from its entry point (its exports map hides the dist files from resolve). */
function packageDir(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = path.dirname(require.resolve(name));
  while (dir !== path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && path.basename(dir) === name.split('/').at(-1)) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the ${name} package's directory`);
}

let cached: PageAssets | undefined;

export async function loadPageAssets(): Promise<PageAssets> {
  if (cached) return cached;
  const read = (pairs: Array<[string, string]>) =>
    Promise.all(pairs.map(([pkg, file]) => readFile(path.join(packageDir(pkg), file), 'utf8')));
  const page = path.join(projectRoot(), 'src', 'report', 'page');
  const [vendorScripts, vendorStyles, client, css] = await Promise.all([
    read(VENDOR_SCRIPTS),
    read(VENDOR_STYLES),
    readFile(path.join(page, 'report.js'), 'utf8'),
    readFile(path.join(page, 'report.css'), 'utf8'),
  ]);
  cached = { scripts: [...vendorScripts, client], styles: [...vendorStyles, css] };
  return cached;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON that cannot end its <script> element early, whatever strings the run holds. */
export function scriptJson(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The page (pure, given the assets): `data.page` tells the page script what to draw. */
export function renderPage(
  title: string,
  data: { page: 'run' | 'compare' } & Record<string, unknown>,
  assets: PageAssets,
): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    ...assets.styles.map((s) => `<style>${s.replace(/<\/style/gi, '<\\/style')}</style>`),
    '</head><body>',
    `<main id="report"><h1>${escapeHtml(title)}</h1><noscript>This ` +
      `report draws its charts with JavaScript.</noscript></main>`,
    `<script id="lab-data" type="application/json">${scriptJson(data)}</script>`,
    ...assets.scripts.map((s) => `<script>${s.replace(/<\/script/gi, '<\\/script')}</script>`),
    '</body></html>',
    '',
  ].join('\n');
}
