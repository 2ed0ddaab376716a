// A real browser for pages the service renders: headless Chromium (Debian
// `chromium`) with every background network feature off, a throwaway
// profile, and a deadline. It reads the page from a file, so nothing but
// the page is loaded.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './recording-support.mjs';

const run = promisify(execFile);
const FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-default-apps', '--disable-extensions', '--mute-audio'];

// Where screenshots are kept after the run (test artifacts).
export const ARTIFACTS = process.env.COMPANION_ARTIFACTS ?? join(ROOT, 'build', 'test-artifacts');

// Renders `html`: returns the DOM the browser built and the path of a
// full-width screenshot saved as ARTIFACTS/<name>.png.
export async function renderInChromium(html, name, { width = 1000, height = 3000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'companion-browser-'));
  try {
    const page = join(dir, 'page.html');
    writeFileSync(page, html);
    const common = [...FLAGS, `--user-data-dir=${join(dir, 'profile')}`, `--window-size=${width},${height}`];
    const { stdout: dom } = await run('chromium', [...common, '--dump-dom', `file://${page}`],
      { timeout: 60000, maxBuffer: 16 * 1024 * 1024 });
    mkdirSync(ARTIFACTS, { recursive: true });
    const png = join(ARTIFACTS, `${name}.png`);
    await run('chromium', [...common, `--screenshot=${png}`, `file://${page}`], { timeout: 60000 });
    return { dom, png, bytes: readFileSync(png) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
