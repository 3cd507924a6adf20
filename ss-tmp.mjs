import puppeteer from 'puppeteer-core';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
const rel = '/work/main/node_modules/speedscope/dist/release';
const files = { '/p/trace.json': process.argv[2], '/p/hits.folded': process.argv[3] };
const srv = http.createServer((req, res) => {
  const u = decodeURIComponent(req.url.split('?')[0].split('#')[0]);
  const f = files[u] ?? path.join(rel, u === '/' ? 'index.html' : u);
  if (!f.startsWith(rel) && !Object.values(files).includes(f)) { res.writeHead(404); return res.end(); }
  fs.readFile(f, (e, d) => { if (e) { res.writeHead(404); res.end(); } else { res.writeHead(200); res.end(d); } });
});
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
const port = srv.address().port;
const b = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'] });
for (const which of process.argv.slice(4)) {
  const p = await b.newPage();
  await p.setViewport({ width: 1280, height: 800 });
  const errors = [];
  p.on('console', (m) => errors.push(m.type() + ': ' + m.text()));
  p.on('pageerror', (e) => errors.push(String(e)));
  p.on('requestfailed', (r) => errors.push('failed ' + r.url())); p.on('response', (r) => errors.push(r.status() + ' ' + r.url().slice(0, 80)));
  await p.goto(`http://127.0.0.1:${port}/index.html#profileURL=${encodeURIComponent('/p/' + which)}&view=sandwich`, { waitUntil: 'domcontentloaded' });
  p.on('error', (e) => console.log('crash', e)); await new Promise((r) => setTimeout(r, 3000)); console.log(errors);
  console.log(which, errors, await p.title());
  const cdp = await p.createCDPSession();
  fs.mkdirSync('/tmp/ssdl', { recursive: true });
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: '/tmp/ssdl', eventsEnabled: true });
  await p.evaluate(() => { const b = [...document.querySelectorAll('div,span,button')].find((e) => e.textContent.trim().endsWith('Export') && e.children.length <= 2); b.click(); });
  await new Promise((r) => setTimeout(r, 2000));
  console.log(fs.readdirSync('/tmp/ssdl'));
  const text = await p.evaluate(() => document.body.innerText.slice(0, 1500));
  console.log(text);
  await p.screenshot({ path: `/tmp/ss-${which}.png` });
}
await b.close(); srv.close();
