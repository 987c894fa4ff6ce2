import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StdioBackend } from '../../../../src/host/backends/stdioBackend';
import type { JsonRpcMessage } from '../../../../src/host/backends/jsonRpc';
import { Redactor } from '../../../../src/host/logs/redactor';
import { RotatingFile } from '../../../../src/host/logs/rotatingFile';
import { ServerLog } from '../../../../src/host/logs/serverLog';
import { parseConfig } from '../../../../src/shared/config/loadConfig';
import type { LogLine } from '../../../../src/shared/controlTypes';
import { Emitter } from '../../../../src/shared/emitter';

const FIXTURES = path.resolve(__dirname, '../../../../../test/fixtures');
const FIXTURE = path.join(FIXTURES, 'fixtureServer.js');

type Answers = Map<unknown, (m: JsonRpcMessage) => void>;

describe('StdioBackend (a real fixture server process)', function () {
  this.timeout(20_000);
  let dir: string;
  let log: ServerLog;
  let backend: StdioBackend | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-stdio-'));
    log = new ServerLog(new RotatingFile(path.join(dir, 'server.log')));
  });
  afterEach(async () => {
    await backend?.close(1000);
    backend = undefined;
    log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(file = FIXTURE, limits: Record<string, unknown> = {}): Promise<StdioBackend> {
    const def = parseConfig(JSON.stringify({ mcpServers: { echo: { command: process.execPath, args: [file], resourceLimits: limits } } }), path.join(dir, 'config.jsonc')).servers[0];
    backend = await StdioBackend.spawn(def, process.env, log, 32 * 1024 * 1024);
    await backend.initialize({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'test', version: '1' } }, 10_000);
    return backend;
  }

  it('delivers messages sent in one turn of the event loop, and after it, in the order they were sent', async () => {
    const b = await start();
    const answered: number[] = [];
    const all = new Promise<void>((resolve) => {
      b.attach((msg: JsonRpcMessage) => {
        answered.push(msg.id as number);
        if (answered.length === 60) resolve();
      });
    });
    const call = (id: number): void => b.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: String(id) } } });
    // The first leaves at once, the rest of the turn in one batched write; then a second turn, then a third.
    for (let id = 1; id <= 20; id++) call(id);
    await new Promise((resolve) => setImmediate(resolve));
    for (let id = 21; id <= 40; id++) call(id);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    for (let id = 41; id <= 60; id++) call(id);
    await all;
    // The fixture answers each line as it reads it: answers in send order mean the lines arrived in send order.
    assert.deepEqual(answered, Array.from({ length: 60 }, (_, i) => i + 1));
  });

  it('drops what is sent after the process exited instead of throwing', async () => {
    const b = await start();
    const exited = new Promise((resolve) => b.onDidExit(resolve));
    process.kill(b.pid, 'SIGKILL');
    await exited;
    assert.doesNotThrow(() => b.send({ jsonrpc: '2.0', id: 1, method: 'ping' }));
  });

  it('close() fires onDidExit once, as every end of a backend does (the Backend contract)', async () => {
    const b = await start();
    const exits: string[] = [];
    const exited = new Promise<void>((resolve) => b.onDidExit((reason) => (exits.push(reason), resolve())));
    await b.close(1000);
    await exited;
    await b.close(1000);
    assert.equal(exits.length, 1, exits.join(' | '));
    assert.match(exits[0], /^exited with /);
  });

  function answersOf(b: StdioBackend): Answers {
    const answers: Answers = new Map();
    b.attach((m) => answers.get(m.id)?.(m));
    return answers;
  }

  /** Sends a tools/call; a send that throws throws here, synchronously, as it does for the mux. */
  function call(b: StdioBackend, answers: Answers, id: number, name: string, args: Record<string, unknown> = {}): Promise<JsonRpcMessage> {
    const answer = new Promise<JsonRpcMessage>((resolve) => answers.set(id, resolve));
    b.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
    return answer;
  }

  /** Resolves at the first log line matching re (or at once if one is there). */
  function logLine(re: RegExp): Promise<void> {
    if (log.tail().some((l) => re.test(l.text))) return Promise.resolve();
    return new Promise((resolve) => {
      const sub = log.follow((l) => {
        if (re.test(l.text)) (sub.dispose(), resolve());
      });
    });
  }

  it('refuses a message over maxMessageSize and one that cannot be serialized, sending nothing (attack 4)', async () => {
    const b = await start(path.join(FIXTURES, 'protocolServer.js'), { maxMessageSize: '1M' });
    const answers = answersOf(b);
    const big = { jsonrpc: '2.0' as const, id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(1024 * 1024) } } };
    assert.throws(() => b.send(big), (e: Error & { code?: string }) => e.code === 'PAYLOAD_TOO_LARGE' && /over the 1048576-byte cap of server "echo" \(resourceLimits\.maxMessageSize\)/.test(e.message));
    assert.throws(() => b.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { n: 10n } as never } }), (e: Error & { code?: string }) => e.code === 'PARSE_ERROR');
    const seen = JSON.parse(((await call(b, answers, 3, 'seen')).result?.content as Array<{ text: string }>)[0].text);
    assert.equal(seen['tools/call'], 1, 'only the last call reached the server');
  });

  it('refuses new messages with SERVER_BUSY while a server that stopped reading has maxQueueSize waiting, and accepts again once it drains (defect 8)', async () => {
    const b = await start(FIXTURE, { maxQueueSize: '4M' });
    const answers = answersOf(b);
    process.kill(b.pid, 'SIGSTOP');
    const text = 'y'.repeat(512 * 1024);
    const queued: Array<Promise<JsonRpcMessage>> = [];
    let refused: (Error & { code?: string }) | undefined;
    for (let id = 1; id <= 100 && !refused; id++) {
      try {
        queued.push(call(b, answers, id, 'echo', { text }));
      } catch (err) {
        refused = err as Error & { code?: string };
      }
    }
    assert.equal(refused?.code, 'SERVER_BUSY', 'the queue filled up and later sends were refused');
    assert.match(refused?.message ?? '', /server "echo" is not keeping up: .* wait for it to read them \(resourceLimits\.maxQueueSize 4 MB\)/);
    assert.ok(queued.length >= 7 && queued.length <= 10, `about 4 MB queued: ${queued.length} messages of 512 KB`);
    await logLine(/refusing new messages: the server does not read its input/);
    const drained = logLine(/the server reads its input again/);
    process.kill(b.pid, 'SIGCONT');
    await drained;
    const answered = await Promise.all(queued);
    assert.ok(answered.every((m) => m.error === undefined), 'what was queued was delivered');
    assert.equal((await call(b, answers, 1000, 'echo', { text: 'after' })).error, undefined, 'it accepts again');
  });

  it('turns answers nested 6,000 deep into errors for their callers; drops such a notification; refuses such a request (attack 1)', async () => {
    const b = await start(path.join(FIXTURES, 'deepServer.js'));
    const answers = answersOf(b);
    const notes: JsonRpcMessage[] = [];
    const inbox = answers;
    b.attach((m) => (m.method ? notes.push(m) : inbox.get(m.id)?.(m)));
    for (const [id, tool] of [[1, 'deep'], [2, 'deepIdLast']] as const) {
      const answer = await call(b, answers, id, tool);
      assert.equal(answer.id, id);
      assert.match(answer.error?.message ?? '', /^the server's answer was nested deeper than 512 levels; the host does not pass it on$/);
    }
    assert.equal(textOf(await call(b, answers, 3, 'deepNote')), 'noted');
    assert.deepEqual(notes, [], 'the deep notification went nowhere');
    assert.equal(textOf(await call(b, answers, 4, 'deepAsk')), 'asked');
    assert.equal(textOf(await call(b, answers, 5, 'refused')), '1', 'the server got an error answer to its deep request');
    const host = log.tail().filter((l) => l.stream === 'host').map((l) => l.text);
    assert.ok(host.some((t) => /dropped a notification from the server: nested deeper than 512 levels/.test(t)), host.join('\n'));
    assert.ok(host.some((t) => /refused a request from the server \(id "srv-deep"\)/.test(t)));
  });

  it('keeps reading after a consumer throws on one message', async () => {
    const b = await start();
    let first = true;
    let secondAnswered: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (secondAnswered = resolve));
    b.attach((m) => {
      if (first) {
        first = false;
        throw new RangeError('Maximum call stack size exceeded');
      }
      if (m.id === 2) secondAnswered();
    });
    const noted = logLine(/a message from the server could not be handled: Maximum call stack size exceeded/);
    b.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    await noted;
    b.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    await answered;
    assert.equal(b.pid > 0 && process.kill(b.pid, 0), true, 'the server runs on');
  });

  it('redacts a stray stdout line before cutting it: a key at the cut shows no part (regression: its first 10 characters showed)', async () => {
    const KEY = 'sk-noisy-7d1e9a3c5b2f';
    const redactor = new Redactor();
    redactor.addSource({ values: () => [KEY], onDidChange: new Emitter<void>().event });
    const redacted = new ServerLog(new RotatingFile(path.join(dir, 'noisy.log')), { redactor });
    const noise = new Promise<LogLine>((resolve) => redacted.follow((l) => l.stream === 'stdout' && resolve(l)));
    const def = parseConfig(JSON.stringify({ mcpServers: { noisy: { command: process.execPath, args: [path.join(FIXTURES, 'noisyStdoutServer.js')] } } }), path.join(dir, 'config.jsonc')).servers[0];
    backend = await StdioBackend.spawn(def, { ...process.env, API_KEY: KEY }, redacted, 32 * 1024 * 1024);
    await backend.initialize({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'test', version: '1' } }, 10_000);
    const line = await noise;
    await backend.close(1000);
    backend = undefined;
    redacted.close();
    const shown = `${line.text}\n${fs.readFileSync(path.join(dir, 'noisy.log'), 'utf8')}`;
    assert.ok(!shown.includes(KEY.slice(0, 4)), `part of the key shows: …${line.text.slice(-30)}`);
    assert.equal(line.text, `${'x'.repeat(1990)}[redacted]…`);
  });
});

function textOf(m: JsonRpcMessage): string | undefined {
  return (m.result?.content as Array<{ text: string }> | undefined)?.[0]?.text;
}
