// Measures what a user waits for and pays for with the gateway host:
//   - `shared-mcp up` to a ready host, cold (no host running) and warm (host already up);
//   - the host's idle RSS with no servers, and with the README example's two servers running.
// Side by side: starting the same two servers the way clients do today (one `npx` per client session).
// Writes its section of bench/RESULTS.md (`<!-- bench:host-startup -->`). Run with `npm run bench`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { today, writeSection } from './resultsFile.mjs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli.js');
const RUNS = Number(process.env.BENCH_RUNS || 10);

function run(args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`shared-mcp ${args.join(' ')} failed: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function rssOf(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

function treeRss(pid) {
  const out = spawnSync('ps', ['-A', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const kids = new Map();
  for (const [p, pp] of out) kids.set(pp, [...(kids.get(pp) || []), p]);
  const rss = new Map(out.map(([p, , r]) => [p, r * 1024]));
  let sum = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    sum += rss.get(p) || 0;
    stack.push(...(kids.get(p) || []));
  }
  return sum;
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (f) => s[Math.min(s.length - 1, Math.floor(f * s.length))];
  return { p50: q(0.5), p90: q(0.9), min: s[0], max: s[s.length - 1] };
};
const fmt = (x) => `${x.toFixed(0)} ms`;
const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MB`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Whatever this script started is stopped when it exits, also after an error.
const homes = new Set();
const groups = new Set();
process.on('exit', () => {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
  }
  for (const h of homes) {
    spawnSync(process.execPath, [cli, 'down', '--host'], { env: h.env, timeout: 30_000 });
    rmSync(h.dir, { recursive: true, force: true });
  }
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(1));

function home(config) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-bench-'));
  mkdirSync(path.join(dir, 'user-home'));
  writeFileSync(path.join(dir, 'config.jsonc'), JSON.stringify(config));
  const h = { dir, env: { ...process.env, SHARED_MCP_HOME: dir, HOME: path.join(dir, 'user-home') } };
  homes.add(h);
  return h;
}
function dropHome(h) {
  rmSync(h.dir, { recursive: true, force: true });
  homes.delete(h);
}

const port = 29100 + Math.floor(Math.random() * 500);
const cold = [];
const warm = [];
for (let i = 0; i < RUNS; i++) {
  const h = home({ mcpServers: {}, settings: { port, syncClients: [] } });
  cold.push(run(['up'], h.env).ms);
  for (let j = 0; j < 3; j++) warm.push(run(['up'], h.env).ms);
  run(['down', '--host'], h.env);
  dropHome(h);
}

const servers = {
  everything: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'], cwd: root },
  memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'], cwd: root, env: { MEMORY_FILE_PATH: path.join(os.tmpdir(), 'shared-mcp-bench-memory.jsonl') } },
};
const idle = home({ mcpServers: {}, settings: { port, syncClients: [] } });
run(['up'], idle.env);
await sleep(3000);
const hostPid = JSON.parse(readFileSync(path.join(idle.dir, 'host.json'), 'utf8')).pid;
const idleRss = rssOf(hostPid);
run(['down', '--host'], idle.env);

const ex = home({ mcpServers: servers, settings: { port, syncClients: [] } });
const exUp = run(['up'], ex.env).ms;
await sleep(3000);
const exStatus = JSON.parse(run(['status', '--json'], ex.env).stdout);
const exHostRss = exStatus.host.rssBytes;
const exServersRss = exStatus.servers.reduce((s, x) => s + (x.rssBytes || 0), 0);
run(['down', '--host'], ex.env);
dropHome(idle);
dropHome(ex);

// The alternative: every client session spawns its own copies. Five sessions, as in the problem statement.
const SESSIONS = 5;
const direct = [];
for (let i = 0; i < SESSIONS; i++) {
  for (const s of Object.values(servers)) {
    const child = spawn(s.command, s.args, { cwd: s.cwd, env: { ...process.env, ...(s.env || {}) }, stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    groups.add(child.pid);
    direct.push(child);
  }
}
await sleep(6000);
const directRss = direct.reduce((sum, c) => sum + treeRss(c.pid), 0);
for (const c of direct) {
  try {
    process.kill(-c.pid, 'SIGKILL');
  } catch {}
  groups.delete(c.pid);
}

const c = stats(cold);
const w = stats(warm);
const md = `## Host start-up (\`shared-mcp up\` until the host answers)

Measured ${today()} by bench/hostStartup.mjs.

| case | runs | p50 | p90 | min | max |
|---|---|---|---|---|---|
| cold: no host running, \`up\` spawns one | ${cold.length} | ${fmt(c.p50)} | ${fmt(c.p90)} | ${fmt(c.min)} | ${fmt(c.max)} |
| warm: host already running | ${warm.length} | ${fmt(w.p50)} | ${fmt(w.p90)} | ${fmt(w.min)} | ${fmt(w.max)} |

Both include starting the \`shared-mcp\` CLI process itself (Node start-up, about 40–60 ms of each number).

## Memory

| what | RSS |
|---|---|
| host, idle, no servers | ${mb(idleRss)} |
| host with the example's two servers (server-everything, server-memory via npx) | ${mb(exHostRss)} |
| those two servers' process trees, once, shared by every client | ${mb(exServersRss)} |
| **alternative**: ${SESSIONS} client sessions each spawning both servers (what clients do today) | ${mb(directRss)} |

\`up\` with both example servers took ${fmt(exUp)} to a host with both servers running (npx start-up included).
`;
writeSection('host-startup', md);
process.stdout.write(md);
