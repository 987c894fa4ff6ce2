// The MCP bridge benchmark: what a tool call costs through our host's `/mcp/<server>` endpoint,
// side by side with the alternatives, on the same echo workload.
//
// Workloads: the fixture server's `echo` tool (test/fixtures/fixtureServer.js) and
// @modelcontextprotocol/server-everything's `echo`. Lanes for each:
//   direct       the client spawns the server and speaks newline-delimited JSON-RPC over stdio
//                (8 clients = 8 server processes, one per client, which is what clients do today);
//   host-lean    our host (`shared-mcp up`), a minimal keep-alive HTTP/1.1 client on a raw socket
//                (bench/rawHttpClient.mjs);
//   host-sdk     our host, the MCP SDK's Client + StreamableHTTPClientTransport;
//   supergateway supergateway (devDependency) `--outputTransport streamableHttp --stateful`,
//                the same lean client.
// Per lane: p50/p99 latency of sequential calls, calls/s with 1 and with 8 concurrent clients,
// the bridge process's CPU time per call, and its RSS idle and with 100 idle sessions.
// Writes its section of bench/RESULTS.md (`<!-- bench:mux -->`).
//
// Each lane opens its 1 + 8 clients once and warms them up; then the lanes take turns in rounds,
// so that a slow patch of the machine is spread over all of them.
//
// Environment: BENCH_CALLS (sequential calls per lane, default 2000; the 8 clients make 4 × that
// between them), BENCH_WARMUP (calls before measuring, default 1000 or half of BENCH_CALLS),
// BENCH_ROUNDS (default 4), BENCH_IDLE_SESSIONS (default 100; 5 × that on our host), BENCH_LANES (a comma list of
// direct,host-lean,host-sdk,supergateway; a partial run prints its tables but leaves RESULTS.md).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { RawHttpConnection } from './rawHttpClient.mjs';
import { machine, today, writeSection } from './resultsFile.mjs';

/** A failure with a message that says it all: printed without a stack trace. */
class BenchError extends Error {}
function die(msg) {
  throw new BenchError(msg);
}
function fatal(e) {
  process.stderr.write(`\nmuxBench failed: ${e instanceof BenchError ? e.message : e?.stack || e}\n`);
  process.exit(1); // the 'exit' handler below stops whatever was started
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const CALLS = intEnv('BENCH_CALLS', 2000);
const WARMUP = intEnv('BENCH_WARMUP', Math.min(1000, Math.max(100, Math.ceil(CALLS / 2))));
const IDLE_SESSIONS = intEnv('BENCH_IDLE_SESSIONS', 100);
// A host session costs a few KB, within the RSS noise of 100 of them (the heap grows in steps): 5 × as many,
// below the host's default cap of 1000. Not for supergateway, where each session is a server process.
const HOST_IDLE_SESSIONS = Math.min(IDLE_SESSIONS * 5, 900);
const CONCURRENT = 8;
const ROUNDS = Math.min(intEnv('BENCH_ROUNDS', 4), CALLS);
const ALL_LANES = ['direct', 'host-lean', 'host-sdk', 'supergateway'];
const LANES = process.env.BENCH_LANES ? process.env.BENCH_LANES.split(',').map((s) => s.trim()).filter(Boolean) : ALL_LANES;
const FULL_RUN = ALL_LANES.every((l) => LANES.includes(l));
const PROTOCOL_VERSION = '2025-11-25';
const REQUEST_TIMEOUT_MS = 30_000;
const OVERALL_TIMEOUT_MS = intEnv('BENCH_TIMEOUT_MS', 30 * 60_000);

function intEnv(name, dflt) {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) die(`${name} must be a positive integer, got "${v}"`);
  return n;
}


// ---------------------------------------------------------------------------------------------
// What the benchmark needs, checked before anything starts.

for (const l of LANES) if (!ALL_LANES.includes(l)) die(`BENCH_LANES: unknown lane "${l}" (lanes: ${ALL_LANES.join(', ')})`);
if (process.platform !== 'linux' || !existsSync('/proc/self/stat')) die('muxBench needs Linux with /proc (CPU time and RSS are read from /proc/<pid>/)');

const cli = path.join(root, 'dist', 'cli.js');
const fixture = path.join(root, 'test', 'fixtures', 'fixtureServer.js');
/** The package.json of an installed package (found from its main file: `exports` may hide it). */
function packageJson(pkg) {
  let dir;
  try {
    dir = path.dirname(require.resolve(pkg));
  } catch {
    try {
      dir = path.dirname(require.resolve(`${pkg}/package.json`));
    } catch {
      die(`${pkg} is not installed (run \`npm install\`; it is a devDependency)`);
    }
  }
  for (; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pj = JSON.parse(readFileSync(file, 'utf8'));
    if (pj.name === pkg) return { pj, dir };
  }
  die(`cannot find the package.json of ${pkg}`);
}
function packageBin(pkg, bin) {
  const { pj, dir } = packageJson(pkg);
  const rel = typeof pj.bin === 'string' ? pj.bin : pj.bin?.[bin] ?? Object.values(pj.bin ?? {})[0];
  if (!rel) die(`${pkg} declares no bin in its package.json`);
  const file = path.join(dir, rel);
  if (!existsSync(file)) die(`${pkg}'s bin ${file} is missing (reinstall it with \`npm ci\`)`);
  return { file, version: pj.version };
}
const everything = packageBin('@modelcontextprotocol/server-everything', 'mcp-server-everything');
const supergateway = LANES.includes('supergateway') ? packageBin('supergateway', 'supergateway') : null;
if (supergateway && supergateway.version !== '4.0.0') die(`expected supergateway 4.0.0 in node_modules, found ${supergateway.version} (run \`npm ci\`)`);
if (!existsSync(fixture)) die(`the fixture server ${fixture} is missing`);
const hostLanes = LANES.includes('host-lean') || LANES.includes('host-sdk');
if (hostLanes && !existsSync(cli)) die(`${path.relative(root, cli)} is missing: run \`npm run build\` first (\`npm run bench\` does)`);
const sdkVersion = packageJson('@modelcontextprotocol/sdk').pj.version;
let Sdk = null;
if (LANES.includes('host-sdk')) {
  try {
    const [{ Client }, { StreamableHTTPClientTransport }] = await Promise.all([
      import(pathToFileURL(require.resolve('@modelcontextprotocol/sdk/client/index.js')).href),
      import(pathToFileURL(require.resolve('@modelcontextprotocol/sdk/client/streamableHttp.js')).href),
    ]);
    Sdk = { Client, StreamableHTTPClientTransport };
  } catch (e) {
    die(`cannot load the MCP SDK client (@modelcontextprotocol/sdk): ${e.message}`);
  }
}
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

const WORKLOADS = [
  {
    key: 'fixture',
    title: 'Fixture echo server (test/fixtures/fixtureServer.js)',
    hostName: 'echo',
    argv: [process.execPath, fixture],
    tool: 'echo',
    args: { text: 'hello' },
    expect: 'hello',
  },
  {
    key: 'everything',
    title: `@modelcontextprotocol/server-everything ${everything.version}`,
    hostName: 'everything',
    argv: [process.execPath, everything.file, 'stdio'],
    tool: 'echo',
    args: { message: 'hello' },
    expect: 'Echo: hello',
  },
];

// ---------------------------------------------------------------------------------------------
// Processes we start, and how they are always stopped (also on errors, signals and time-outs).

const ownedGroups = new Set(); // pids of process-group leaders we spawned detached
const gateways = new Set(); // supergateway pids: their children live in process groups of their own
const hosts = new Set(); // { home, env }

function procStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
    return { state: f[0], ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]), start: f[19] };
  } catch {
    return null;
  }
}
function alive(pid) {
  const st = procStat(pid);
  return !!st && st.state !== 'Z';
}
/**
 * CPU time of all of pid's threads in ms, from /proc/<pid>/task/<tid>/schedstat (nanoseconds); falls back to
 * /proc/<pid>/stat (clock ticks, 10 ms: too coarse for a round of a few hundred calls) without schedstat.
 */
function cpuMs(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {} // a thread that just ended
    }
    if (ns > 0) return ns / 1e6;
  } catch {}
  const s = procStat(pid);
  if (!s) die(`process ${pid} is gone (cannot read /proc/${pid}/stat)`);
  return ((s.utime + s.stime) * 1000) / CLK_TCK;
}
function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
/** Every live descendant of pid, with its start time so a recycled pid is never mistaken for it. */
function descendants(pid) {
  const kids = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = procStat(Number(name));
    if (s) kids.set(s.ppid, [...(kids.get(s.ppid) || []), { pid: Number(name), start: s.start }]);
  }
  const out = [];
  const stack = [pid];
  while (stack.length) for (const k of kids.get(stack.pop()) || []) out.push(k), stack.push(k.pid);
  return out;
}
const treeRss = (pid) => rssBytes(pid) + descendants(pid).reduce((sum, d) => sum + rssBytes(d.pid), 0);
function killIfSame({ pid, start }) {
  if (procStat(pid)?.start !== start) return;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {}
  }
}
function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {}
  ownedGroups.delete(pid);
}
function stopHostSync(h) {
  hosts.delete(h);
  // The host's servers, as last seen: if the host died they are no longer its children.
  const known = [...(h.known || []), ...(h.pid && alive(h.pid) ? descendants(h.pid) : [])];
  const r = spawnSync(process.execPath, [cli, 'down', '--host'], { env: h.env, encoding: 'utf8', timeout: 30_000 });
  let reg = null;
  try {
    reg = JSON.parse(readFileSync(path.join(h.home, 'host.json'), 'utf8'));
  } catch {}
  if (reg?.pid && alive(reg.pid)) {
    // `down --host` did not do it: SIGTERM makes the host stop its servers, then exit.
    process.stderr.write(`muxBench: \`shared-mcp down --host\` did not stop host ${reg.pid} (${(r.stderr || r.error?.message || '').trim()}); sending SIGTERM\n`);
    try {
      process.kill(reg.pid, 'SIGTERM');
    } catch {}
    const until = Date.now() + 10_000;
    while (alive(reg.pid) && Date.now() < until) spawnSync('sleep', ['0.1']);
    if (alive(reg.pid)) {
      const left = descendants(reg.pid);
      try {
        process.kill(reg.pid, 'SIGKILL');
      } catch {}
      left.forEach(killIfSame);
    }
  }
  known.forEach(killIfSame);
  rmSync(h.home, { recursive: true, force: true });
}
function cleanupSync() {
  for (const pid of [...gateways]) {
    const left = descendants(pid);
    killGroup(pid);
    left.forEach(killIfSame);
    gateways.delete(pid);
  }
  for (const pid of [...ownedGroups]) killGroup(pid);
  for (const h of [...hosts]) stopHostSync(h);
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    process.stderr.write(`muxBench: ${sig}, stopping everything it started\n`);
    cleanupSync();
    process.exit(1);
  });
}
const watchdog = setTimeout(() => {
  process.stderr.write(`muxBench: still running after ${OVERALL_TIMEOUT_MS / 1000} s, giving up\n`);
  cleanupSync();
  process.exit(1);
}, OVERALL_TIMEOUT_MS);
watchdog.unref();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The SDK client (through Node's fetch) adds one abort listener per request to its transport's
// long-lived AbortSignal, released only when the request is garbage-collected; Node then warns once
// per request past 1,500. Count those warnings instead of printing hundreds of lines.
let abortListenerWarnings = 0;
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  if (warning?.name === 'MaxListenersExceededWarning' && /abort listeners added to \[AbortSignal\]/.test(warning.message)) {
    abortListenerWarnings++;
    return;
  }
  return emitWarning.call(process, warning, ...rest);
};
const now = () => Number(process.hrtime.bigint()) / 1e6;
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([promise, new Promise((_, reject) => (t = setTimeout(() => reject(new BenchError(`${what}: no answer within ${ms / 1000} s`)), ms)))]).finally(() => clearTimeout(t));
}
function checkResult(result, expect, where) {
  const text = result?.content?.[0]?.text;
  if (text !== expect) die(`${where}: tools/call echo answered ${JSON.stringify(result).slice(0, 300)}, expected text ${JSON.stringify(expect)}`);
}
const shellQuote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
const initializeParams = { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'shared-mcp-bench', version: '1.0.0' } };

// ---------------------------------------------------------------------------------------------
// Clients. Each has initialize(), call() (one tools/call, result checked) and close().

/** The server as a child process, newline-delimited JSON-RPC on its stdin/stdout. */
class StdioClient {
  constructor(workload) {
    this.w = workload;
    this.nextId = 0;
    this.pending = new Map();
    this.stderr = '';
    this.child = spawn(workload.argv[0], workload.argv.slice(1), { cwd: root, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    ownedGroups.add(this.child.pid);
    this.child.stderr.on('data', (d) => (this.stderr = (this.stderr + d).slice(-2000)));
    this.child.on('error', (e) => this.failAll(new BenchError(`cannot start ${workload.argv.join(' ')}: ${e.message}`)));
    this.child.on('exit', (code, signal) => {
      ownedGroups.delete(this.child.pid);
      this.exited = true;
      if (!this.closing) this.failAll(new BenchError(`${workload.key} server exited (code ${code}, signal ${signal}): ${this.stderr.trim().slice(-500)}`));
    });
    let buf = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        const msg = JSON.parse(line);
        if (msg.id === undefined || msg.method !== undefined) continue; // notifications, server requests
        const p = this.pending.get(msg.id);
        if (!p) continue;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new BenchError(`${workload.key} server: ${msg.error.message}`));
        else p.resolve(msg.result);
      }
    });
  }
  get pid() {
    return this.child.pid;
  }
  failAll(err) {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.failed = err;
  }
  request(method, params) {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }
  async initialize() {
    await withTimeout(this.request('initialize', initializeParams), REQUEST_TIMEOUT_MS, `${this.w.key} server initialize`);
    this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    return this;
  }
  async call() {
    checkResult(await this.request('tools/call', { name: this.w.tool, arguments: this.w.args }), this.w.expect, `direct ${this.w.key}`);
  }
  async close() {
    this.closing = true;
    if (this.exited) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.end();
    if (await Promise.race([exited.then(() => true), sleep(1000).then(() => false)])) return;
    try {
      process.kill(-this.child.pid, 'SIGTERM');
    } catch {}
    if (!(await Promise.race([exited.then(() => true), sleep(2000).then(() => false)]))) killGroup(this.child.pid);
  }
}

/** Parses a Streamable HTTP POST response: one JSON-RPC message, or an SSE stream of them. */
function responseMessages(contentType, body) {
  if (!body) return [];
  if (contentType.startsWith('application/json')) {
    const v = JSON.parse(body);
    return Array.isArray(v) ? v : [v];
  }
  if (contentType.startsWith('text/event-stream')) {
    const out = [];
    for (const event of body.split(/\r?\n\r?\n/)) {
      const data = event
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''));
      if (data.length) out.push(JSON.parse(data.join('\n')));
    }
    return out;
  }
  die(`unexpected response Content-Type "${contentType}"`);
}

/** A minimal Streamable HTTP client: one keep-alive connection (bench/rawHttpClient.mjs), or a shared one. */
class LeanClient {
  constructor(url, token, workload, label, connection) {
    this.url = new URL(url);
    this.w = workload;
    this.label = label;
    this.conn = connection ?? new RawHttpConnection(this.url, REQUEST_TIMEOUT_MS);
    this.ownConnection = !connection;
    this.headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (token) this.headers.authorization = `Bearer ${token}`;
    this.nextId = 0;
  }
  async send(method, body) {
    try {
      return await this.conn.request(method, this.url.pathname, body === undefined ? this.headersNoBody : this.headers, body);
    } catch (e) {
      throw e instanceof BenchError ? e : new BenchError(`${this.label}: ${method} ${this.url.href}: ${e.message}`);
    }
  }
  async rpc(msg) {
    const res = await this.send('POST', JSON.stringify(msg));
    if (res.status !== 200) die(`${this.label}: HTTP ${res.status} on POST ${this.url.pathname} (${msg.method}): ${res.body.slice(0, 300)}`);
    const reply = responseMessages(String(res.headers['content-type'] || ''), res.body).find((m) => m.id === msg.id && m.method === undefined);
    if (!reply) die(`${this.label}: the answer to ${msg.method} (id ${msg.id}) is not in the response: ${res.body.slice(0, 300)}`);
    if (reply.error) die(`${this.label}: ${msg.method} failed: ${JSON.stringify(reply.error)}`);
    return { res, result: reply.result };
  }
  async initialize() {
    const { res, result } = await this.rpc({ jsonrpc: '2.0', id: this.nextId++, method: 'initialize', params: initializeParams });
    const sid = res.headers['mcp-session-id'];
    if (!sid) die(`${this.label}: initialize answered without an Mcp-Session-Id header`);
    this.sessionId = sid;
    this.headers['mcp-session-id'] = sid;
    this.headers['mcp-protocol-version'] = result.protocolVersion;
    this.headersNoBody = { ...this.headers };
    delete this.headersNoBody['content-type'];
    const n = await this.send('POST', JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    if (n.status !== 202) die(`${this.label}: notifications/initialized answered HTTP ${n.status} (expected 202): ${n.body.slice(0, 200)}`);
    return this;
  }
  async call() {
    const { result } = await this.rpc({ jsonrpc: '2.0', id: this.nextId++, method: 'tools/call', params: { name: this.w.tool, arguments: this.w.args } });
    checkResult(result, this.w.expect, this.label);
  }
  async close() {
    if (this.sessionId) {
      const res = await this.send('DELETE');
      if (res.status !== 200 && res.status !== 204 && res.status !== 202) die(`${this.label}: DELETE of the session answered HTTP ${res.status}: ${res.body.slice(0, 200)}`);
      this.sessionId = undefined;
    }
    if (this.ownConnection) this.conn.close();
  }
}

/** The MCP SDK's own client over Streamable HTTP. */
class SdkClient {
  constructor(url, token, workload, label) {
    this.w = workload;
    this.label = label;
    this.transport = new Sdk.StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    this.client = new Sdk.Client({ name: 'shared-mcp-bench', version: '1.0.0' });
    this.client.onerror = (e) => (this.lastError = e);
  }
  async initialize() {
    try {
      await withTimeout(this.client.connect(this.transport), REQUEST_TIMEOUT_MS, `${this.label}: connect`);
    } catch (e) {
      die(`${this.label}: connect failed: ${e.message}`);
    }
    return this;
  }
  async call() {
    let result;
    try {
      result = await this.client.callTool({ name: this.w.tool, arguments: this.w.args });
    } catch (e) {
      die(`${this.label}: tools/call failed: ${e.message}${e.cause?.message ? ` (${e.cause.message})` : ''}`);
    }
    checkResult(result, this.w.expect, this.label);
  }
  async close() {
    await this.transport.terminateSession();
    await this.client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring one lane.

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/**
 * A lane under measurement: open(i) → an initialized client; bridgePid: the process whose CPU is
 * counted (none for direct stdio). Its 1 + CONCURRENT clients stay open across rounds.
 */
async function openLane({ label, open, bridgePid }) {
  const seq = await open(0);
  const par = [];
  for (let i = 1; i <= CONCURRENT; i++) par.push(await open(i));
  for (let i = 0; i < WARMUP; i++) await seq.call();
  await Promise.all(par.map(async (cl) => {
    for (let i = 0; i < Math.ceil(WARMUP / CONCURRENT); i++) await cl.call();
  }));
  return { label, bridgePid, seq, par, lat: [], seqMs: 0, seqCalls: 0, seqCpu: 0, parMs: 0, parCalls: 0, parCpu: 0 };
}

/** One round: `seqCalls` sequential calls on one client, then `parCalls` shared by CONCURRENT clients. */
async function laneRound(l, seqCalls, parCalls) {
  const cpu = () => (l.bridgePid ? cpuMs(l.bridgePid) : 0);
  let c0 = cpu();
  let t0 = now();
  for (let i = 0; i < seqCalls; i++) {
    const t = now();
    await l.seq.call();
    l.lat.push(now() - t);
  }
  l.seqMs += now() - t0;
  l.seqCpu += cpu() - c0;
  l.seqCalls += seqCalls;
  let left = parCalls;
  c0 = cpu();
  t0 = now();
  await Promise.all(l.par.map(async (cl) => {
    while (left-- > 0) await cl.call();
  }));
  l.parMs += now() - t0;
  l.parCpu += cpu() - c0;
  l.parCalls += parCalls;
}

async function closeLane(l) {
  for (const cl of [l.seq, ...l.par]) await cl.close();
  const lat = Float64Array.from(l.lat).sort();
  const r = {
    label: l.label,
    p50: percentile(lat, 0.5),
    p99: percentile(lat, 0.99),
    tput1: (l.seqCalls * 1000) / l.seqMs,
    tput8: (l.parCalls * 1000) / l.parMs,
    cpuSeq: l.bridgePid ? l.seqCpu / l.seqCalls : null,
    cpuPar: l.bridgePid ? l.parCpu / l.parCalls : null,
  };
  process.stderr.write(`  ${r.label}: p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, ${r.tput1.toFixed(0)} / ${r.tput8.toFixed(0)} calls/s${l.bridgePid ? `, CPU ${r.cpuSeq.toFixed(3)} / ${r.cpuPar.toFixed(3)} ms/call` : ''}\n`);
  return r;
}

/** RSS of pid before and after opening n idle sessions with the lean client (then closed with DELETE). */
async function idleSessions({ label, url, token, workload, pid, tree, n = IDLE_SESSIONS }) {
  await sleep(1000);
  const before = { self: rssBytes(pid), tree: tree ? treeRss(pid) : null };
  process.stderr.write(`  ${label}: ${n} idle sessions…`);
  // One connection for all of them, as a client would reuse its connections: the sessions are what is measured.
  const connection = new RawHttpConnection(new URL(url), REQUEST_TIMEOUT_MS);
  const sessions = [];
  try {
    for (let i = 0; i < n; i += 4) {
      const batch = [];
      for (let j = i; j < Math.min(n, i + 4); j++) batch.push(new LeanClient(url, token, workload, `${label} idle session ${j}`, connection).initialize());
      sessions.push(...(await Promise.all(batch)));
    }
    await sleep(2000);
    const after = { self: rssBytes(pid), tree: tree ? treeRss(pid) : null };
    process.stderr.write(` ${((after.self - before.self) / n / 1024).toFixed(1)} KB per session\n`);
    return { before, after, n };
  } finally {
    for (const s of sessions) await s.close().catch(() => {});
    connection.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Bridges: our host and supergateway.

async function startHost() {
  const home = mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-muxbench-'));
  mkdirSync(path.join(home, 'user-home'));
  const env = { ...process.env, SHARED_MCP_HOME: home, HOME: path.join(home, 'user-home'), SHARED_MCP_SHELL_ENV: '0' };
  const h = { home, env };
  hosts.add(h);
  const port = await freePort();
  const mcpServers = Object.fromEntries(WORKLOADS.map((w) => [w.hostName, { command: w.argv[0], args: w.argv.slice(1), cwd: root }]));
  writeFileSync(path.join(home, 'config.jsonc'), JSON.stringify({ mcpServers, settings: { port, shellEnv: false, syncClients: [] } }, null, 2));
  const up = spawnSync(process.execPath, [cli, 'up'], { env, encoding: 'utf8', timeout: 120_000 });
  if (up.status !== 0) die(`\`shared-mcp up\` failed (exit ${up.status}): ${(up.stderr || up.stdout || up.error?.message || '').trim()}`);
  const until = Date.now() + 60_000;
  let status;
  for (;;) {
    const st = spawnSync(process.execPath, [cli, 'status', '--json'], { env, encoding: 'utf8', timeout: 30_000 });
    try {
      status = JSON.parse(st.stdout);
    } catch {
      status = null;
    }
    if (status?.servers?.length && WORKLOADS.every((w) => status.servers.find((s) => s.name === w.hostName)?.state === 'running')) break;
    if (Date.now() > until) {
      const states = (status?.servers || []).map((s) => `${s.name}: ${s.state}${s.lastError ? ` (${s.lastError})` : ''}`).join('; ');
      die(`the host's servers did not reach "running" within 60 s: ${states || st.stderr?.trim() || 'no status'}`);
    }
    await sleep(250);
  }
  const reg = JSON.parse(readFileSync(path.join(home, 'host.json'), 'utf8'));
  const token = readFileSync(path.join(home, 'token'), 'utf8').trim();
  h.pid = reg.pid;
  h.known = descendants(reg.pid);
  h.port = reg.port;
  h.token = token;
  h.url = (w) => `http://127.0.0.1:${reg.port}/mcp/${w.hostName}`;
  // Fail loudly and early when /mcp/<server> is not served (the multiplexer endpoint).
  for (const w of WORKLOADS) {
    const probe = new LeanClient(h.url(w), token, w, `host /mcp/${w.hostName}`);
    try {
      await probe.initialize();
      await probe.call();
    } catch (e) {
      die(`our host does not serve MCP on ${h.url(w)}: ${e.message}\n` + `The host lanes need the /mcp/<server> endpoint (the multiplexer). To measure only the other lanes: BENCH_LANES=direct,supergateway npm run bench`);
    } finally {
      await probe.close().catch(() => {});
    }
  }
  return h;
}

async function stopHost(h) {
  stopHostSync(h);
}

async function startSupergateway(w) {
  const port = await freePort();
  const cmd = w.argv.map(shellQuote).join(' ');
  // --logLevel none: by default supergateway logs every message to stdout, which would slow it down.
  const args = [supergateway.file, '--stdio', cmd, '--outputTransport', 'streamableHttp', '--stateful', '--port', String(port), '--logLevel', 'none', '--healthEndpoint', '/healthz'];
  // stdin stays a pipe: supergateway exits when its stdin closes (so also if this process dies).
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', 'ignore', 'pipe'], detached: true });
  gateways.add(child.pid);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const until = Date.now() + 30_000;
  for (;;) {
    if (exited) die(`supergateway exited at start (code ${exited.code}, signal ${exited.signal}): ${stderr.trim()}`);
    const ok = await new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/healthz' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > until) die(`supergateway did not answer on port ${port} within 30 s: ${stderr.trim()}`);
    await sleep(100);
  }
  return { child, pid: child.pid, url: `http://127.0.0.1:${port}/mcp`, stderr: () => stderr, exited: () => exited };
}

async function stopSupergateway(g) {
  const left = descendants(g.pid);
  if (!g.exited()) {
    const gone = new Promise((r) => g.child.once('exit', r));
    try {
      process.kill(g.pid, 'SIGTERM');
    } catch {}
    if (!(await Promise.race([gone.then(() => true), sleep(5000).then(() => false)]))) killGroup(g.pid);
  }
  await sleep(200);
  const survivors = left.filter((d) => alive(d.pid) && procStat(d.pid)?.start === d.start);
  survivors.forEach(killIfSame);
  gateways.delete(g.pid);
  return survivors.length;
}

// ---------------------------------------------------------------------------------------------
// The run.

const results = {}; // workload key → { lanes: {lane: r}, idle: {...}, serverRss }
// How busy the machine is with other work, over 2 s before we start (from /proc/stat).
function cpuTimes() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: f[3] + (f[4] || 0), total: f.reduce((a, b) => a + b, 0) };
}
/** CPU ticks used so far by this benchmark's own processes: itself, the bridges, the servers. */
function ourTicks() {
  const roots = [process.pid, ...[...hosts].map((h) => h.pid).filter(Boolean), ...ownedGroups, ...gateways];
  const pids = new Set(roots);
  for (const r of roots) for (const d of descendants(r)) pids.add(d.pid);
  let ticks = 0;
  for (const pid of pids) {
    const st = procStat(pid);
    if (st) ticks += st.utime + st.stime;
  }
  return ticks;
}
/** Runs fn and returns how much of the machine's CPU other processes used meanwhile (0..1). */
async function otherLoadDuring(fn) {
  const a = cpuTimes();
  const o = ourTicks();
  await fn();
  const b = cpuTimes();
  const busy = b.total - a.total - (b.idle - a.idle);
  return Math.max(0, busy - (ourTicks() - o)) / (b.total - a.total || 1);
}
const busyBefore = await (async () => {
  const a = cpuTimes();
  await sleep(2000);
  const b = cpuTimes();
  return 1 - (b.idle - a.idle) / (b.total - a.total || 1);
})();
if (busyBefore > 0.1) process.stderr.write(`muxBench: warning: the CPUs were ${(busyBefore * 100).toFixed(0)} % busy with other work before the start; that skews the numbers\n`);
process.stderr.write(`muxBench: per lane ${WARMUP} warm-up calls, then in ${ROUNDS} rounds ${CALLS} sequential calls and ${CALLS * 4} calls by ${CONCURRENT} clients; ${IDLE_SESSIONS} idle sessions (${HOST_IDLE_SESSIONS} on our host); lanes: ${LANES.join(', ')}\n`);

let host = null;
try {
  if (hostLanes) {
    process.stderr.write('starting our host…\n');
    host = await startHost();
  }
  for (const w of WORKLOADS) {
    process.stderr.write(`${w.title}\n`);
    const res = (results[w.key] = { lanes: {}, idle: {} });
    let g = null;
    const open = {};
    try {
      if (LANES.includes('direct')) open.direct = { label: 'direct stdio', open: () => new StdioClient(w).initialize() };
      if (LANES.includes('host-lean')) open['host-lean'] = { label: 'host, lean client', open: (i) => new LeanClient(host.url(w), host.token, w, `host lean client ${i}`).initialize(), bridgePid: host.pid };
      if (LANES.includes('host-sdk')) open['host-sdk'] = { label: 'host, SDK client', open: (i) => new SdkClient(host.url(w), host.token, w, `host SDK client ${i}`).initialize(), bridgePid: host.pid };
      if (LANES.includes('supergateway')) {
        g = await startSupergateway(w);
        open.supergateway = { label: 'supergateway', open: (i) => new LeanClient(g.url, null, w, `supergateway client ${i}`).initialize(), bridgePid: g.pid };
      }
      const lanes = {};
      for (const [k, def] of Object.entries(open)) {
        process.stderr.write(`  ${def.label}: opening ${1 + CONCURRENT} clients, ${WARMUP} warm-up calls\n`);
        lanes[k] = await openLane(def);
      }
      if (lanes.direct) res.serverRss = rssBytes(lanes.direct.seq.pid);
      // Rounds interleave the lanes (in a rotating order) so that a slow patch of the machine
      // does not land on one lane only.
      const keys = Object.keys(lanes);
      res.otherLoad = [];
      for (let r = 0; r < ROUNDS; r++) {
        const seqCalls = Math.floor(CALLS / ROUNDS) + (r < CALLS % ROUNDS ? 1 : 0);
        const parCalls = Math.floor((CALLS * 4) / ROUNDS) + (r < (CALLS * 4) % ROUNDS ? 1 : 0);
        const other = await otherLoadDuring(async () => {
          for (let i = 0; i < keys.length; i++) await laneRound(lanes[keys[(r + i) % keys.length]], seqCalls, parCalls);
        });
        res.otherLoad.push(other);
        process.stderr.write(`  round ${r + 1}/${ROUNDS} done; other processes used ${(other * 100).toFixed(0)} % of the CPUs meanwhile\n`);
      }
      for (const k of keys) res.lanes[k] = await closeLane(lanes[k]);
      if (g) {
        res.idle.supergateway = await idleSessions({ label: 'supergateway', url: g.url, token: null, workload: w, pid: g.pid, tree: true });
      }
    } finally {
      if (g) {
        const survivors = await stopSupergateway(g);
        if (survivors) process.stderr.write(`  note: ${survivors} supergateway child process(es) outlived it and were killed\n`);
        res.sgSurvivors = survivors;
      }
    }
  }
  if (host && LANES.includes('host-lean')) {
    for (const w of WORKLOADS) results[w.key].idle.host = await idleSessions({ label: `host /mcp/${w.hostName}`, url: host.url(w), token: host.token, workload: w, pid: host.pid, tree: false, n: HOST_IDLE_SESSIONS });
  }
} catch (e) {
  fatal(e);
} finally {
  if (host) await stopHost(host);
}

// ---------------------------------------------------------------------------------------------
// Report.

const ms = (x) => (x == null ? '–' : `${x.toFixed(3)} ms`);
const msSigned = (x) => (x == null ? '–' : `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)} ms`);
const cps = (x) => (x == null ? '–' : `${Math.round(x).toLocaleString('en-US')}`);
const pct = (x) => (x == null ? '–' : `${(x * 100).toFixed(0)} %`);
const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MB`;
const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
const perSession = (i, key) => (i ? (i.after[key] - i.before[key]) / i.n : null);
const LANE_NAMES = {
  direct: 'direct stdio (no bridge)',
  'host-lean': '**our host**, lean client',
  'host-sdk': '**our host**, SDK client',
  supergateway: `supergateway ${supergateway?.version ?? ''}, lean client`,
};

const targets = [];
// Which build of the host was measured.
const git = (...args) => spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
const head = git('rev-parse', '--short', 'HEAD').stdout?.trim();
const dirty = head && git('status', '--porcelain', '--', 'src').stdout?.trim();
const build = head ? `commit ${head}${dirty ? ' with uncommitted changes in src/' : ''}` : 'an unknown commit';
let md = `## MCP bridge: tool-call latency, throughput, CPU and memory

Measured ${today()} by bench/muxBench.mjs on the host built from ${build}. Per lane and workload: one client for sequential calls and ${CONCURRENT} concurrent clients, each with its own session and connection, opened once and warmed up with ${WARMUP.toLocaleString('en-US')} calls; then ${CALLS.toLocaleString('en-US')} sequential \`tools/call echo\` calls (latency, 1-client calls/s) and ${(CALLS * 4).toLocaleString('en-US')} calls shared by the ${CONCURRENT} clients, in ${ROUNDS} rounds in which the lanes take turns. Payload \`"hello"\`.

- **direct stdio**: the benchmark spawns the server and writes newline-delimited JSON-RPC to it. With ${CONCURRENT} clients it is ${CONCURRENT} server processes, one per client, each with its own sequential loop: what MCP clients do today (every client session spawns its own copy).
- **our host**: \`shared-mcp up\` with both servers in a temporary home, endpoint \`/mcp/<server>\` with the bearer token. The *lean client* is a keep-alive HTTP/1.1 client written straight to a TCP socket (bench/rawHttpClient.mjs), one connection per client: \`node:http\`'s client costs about as much CPU per call as the bridge itself, on the same cores, so with it the 8-client numbers measured the client; the *SDK client* is @modelcontextprotocol/sdk ${sdkVersion} \`Client\` + \`StreamableHTTPClientTransport\`.
- **supergateway**: \`supergateway --stdio "<server>" --outputTransport streamableHttp --stateful --logLevel none\`, endpoint \`/mcp\`, the same lean client. \`--logLevel none\` because by default it logs every message; stateful supergateway spawns **one server process per session**, so its ${CONCURRENT} clients also get ${CONCURRENT} server processes.
- *added p50* is the lane's p50 minus direct stdio's p50; *8-client ratio* is the lane's ${CONCURRENT}-client calls/s ÷ direct stdio's. *CPU/call* is the bridge process's own CPU time (all its threads' \`/proc/<pid>/task/*/schedstat\`, in ns) over the sequential run / over the ${CONCURRENT}-client run, divided by the calls made; the servers' CPU is not in it.
- *RSS*: the bridge process's VmRSS after the lanes ran (their sessions closed with DELETE), and the increase per session after opening idle sessions (initialize + initialized, then nothing): ${HOST_IDLE_SESSIONS} on our host, ${IDLE_SESSIONS} on supergateway (each of its sessions is a server process). For direct stdio the "per session" cost is a whole server process.
- The benchmark's clients run in one Node process on the same ${os.cpus().length} cores as the bridges and servers. Other processes on the machine used ${(busyBefore * 100).toFixed(0)} % of the CPUs just before the start, and ${WORKLOADS.filter((w) => results[w.key].otherLoad).map((w) => `${results[w.key].otherLoad.map((x) => (x * 100).toFixed(0)).join(' / ')} % during the ${w.key} rounds`).join(', ') || 'an unknown share during the rounds'} (from /proc/stat, minus the benchmark's own processes).
`;

for (const w of WORKLOADS) {
  const res = results[w.key];
  const d = res.lanes.direct;
  md += `\n### ${w.title}\n\n| lane | p50 | p99 | added p50 | calls/s, 1 client | calls/s, ${CONCURRENT} clients | ${CONCURRENT}-client ratio | bridge CPU/call (1 / ${CONCURRENT} clients) | bridge RSS idle | RSS per idle session |\n|---|---|---|---|---|---|---|---|---|---|\n`;
  for (const lane of ALL_LANES) {
    const r = res.lanes[lane];
    if (!r) {
      md += `| ${LANE_NAMES[lane]} | not run |  |  |  |  |  |  |  |  |\n`;
      continue;
    }
    let rssIdle = '–';
    let rssSess = '–';
    if (lane === 'direct' && res.serverRss) {
      rssIdle = `${mb(res.serverRss)} (server)`;
      rssSess = `${mb(res.serverRss)} (a server process)`;
    } else if (lane === 'host-sdk' && res.idle.host && res.lanes['host-lean']) {
      rssIdle = rssSess = 'same host as above';
    } else if (lane.startsWith('host') && res.idle.host) {
      rssIdle = mb(res.idle.host.before.self);
      rssSess = `${kb(perSession(res.idle.host, 'self'))}`;
    } else if (lane === 'supergateway' && res.idle.supergateway) {
      rssIdle = mb(res.idle.supergateway.before.self);
      const i = res.idle.supergateway;
      const self = perSession(i, 'self');
      const children = perSession(i, 'tree') - self;
      rssSess = `${self >= 0 ? kb(self) : `≈0 (its RSS fell ${mb(i.before.self - i.after.self)} meanwhile: GC)`} + ${mb(children)} of server process`;
    }
    md += `| ${LANE_NAMES[lane]} | ${ms(r.p50)} | ${ms(r.p99)} | ${lane === 'direct' ? '–' : d ? msSigned(r.p50 - d.p50) : '–'} | ${cps(r.tput1)} | ${cps(r.tput8)} | ${d ? pct(r.tput8 / d.tput8) : '–'} | ${r.cpuSeq == null ? '–' : `${ms(r.cpuSeq)} / ${ms(r.cpuPar)}`} | ${rssIdle} | ${rssSess} |\n`;
  }
  const lean = res.lanes['host-lean'];
  const sg = res.lanes.supergateway;
  if (lean && d) {
    const added = lean.p50 - d.p50;
    targets.push([`added p50 over direct stdio, lean client ≤ 0.3 ms`, w.key, `${msSigned(added)}${sg ? ` (supergateway ${msSigned(sg.p50 - d.p50)})` : ''}`, added <= 0.3]);
    const ratio = lean.tput8 / d.tput8;
    targets.push([`${CONCURRENT}-client throughput ≥ 55 % of direct stdio`, w.key, `${pct(ratio)} (${cps(lean.tput8)} vs ${cps(d.tput8)} calls/s)`, ratio >= 0.55]);
  }
  if (lean && sg) targets.push([`${CONCURRENT}-client throughput above supergateway's`, w.key, `${cps(lean.tput8)} vs ${cps(sg.tput8)} calls/s`, lean.tput8 > sg.tput8]);
  if (lean) {
    const worst = Math.max(lean.cpuSeq, lean.cpuPar);
    targets.push([`host CPU ≤ 0.25 ms per call (the worse of 1 and ${CONCURRENT} clients)`, w.key, `${ms(lean.cpuSeq)} with 1 client, ${ms(lean.cpuPar)} with ${CONCURRENT}${sg ? ` (supergateway ${ms(sg.cpuSeq)}, ${ms(sg.cpuPar)})` : ''}`, worst <= 0.25]);
  }
  if (res.idle.host) {
    const per = perSession(res.idle.host, 'self');
    targets.push([`≤ 50 KB host RSS per idle session`, w.key, `${kb(per)} (${res.idle.host.n} sessions: ${mb(res.idle.host.before.self)} → ${mb(res.idle.host.after.self)})`, per <= 50 * 1024]);
  }
}

md += `\n### Targets (${os.cpus().length}-core machine)\n\n`;
if (targets.length) {
  md += `| target | workload | measured | met |\n|---|---|---|---|\n`;
  for (const [t, wk, m, ok] of targets) md += `| ${t} | ${wk} | ${m} | ${ok ? '✅' : '❌'} |\n`;
} else md += `Not evaluated: the host lanes did not run.\n`;

if (abortListenerWarnings) md += `\nThe SDK client lane made Node warn ${abortListenerWarnings.toLocaleString('en-US')} times that more than 1,500 abort listeners were attached to one AbortSignal: the SDK's StreamableHTTPClientTransport passes its transport-wide signal to every \`fetch\`, and Node's fetch (undici) removes that listener only when the request is garbage-collected. That is client-side; the host is not involved.\n`;
const sgNotes = WORKLOADS.filter((w) => results[w.key].sgSurvivors).map((w) => `${w.key}: ${results[w.key].sgSurvivors}`);
if (sgNotes.length) md += `\nsupergateway left server processes running after SIGTERM (killed by the benchmark): ${sgNotes.join(', ')}.\n`;

process.stdout.write(`\nMachine: ${machine()}\n\n${md}`);
if (FULL_RUN) {
  writeSection('mux', md);
  process.stderr.write(`\nwrote bench/RESULTS.md (section bench:mux)\n`);
} else {
  process.stderr.write(`\nBENCH_LANES=${LANES.join(',')} is a partial run: bench/RESULTS.md not written\n`);
}
clearTimeout(watchdog);
