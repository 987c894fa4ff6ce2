// Acceptance with a real third-party client: Claude Code (`claude mcp list`, and `claude -p` calling a tool)
// connects to a shared server's endpoint with the home's token, offline, under a temp HOME: over HTTP and through
// `shared-mcp bridge` (stdio). Claude Code 2.1.328 is modern-first: it opens both with server/discover (protocol
// 2026-07-28) and falls back to initialize; the tests see that probe and the fallback on the wire.
// Only the model is not real: `claude -p` talks to a stand-in for the Anthropic API on loopback that asks for the call.
// The client lives in its own npm folder, test/clients (install: npm ci --prefix test/clients); when it is
// missing the suite fails with that command rather than skipping.
import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { CLI, TestHome, fixture } from '../../helpers/hostHarness';
import { describeExchanges, startRecordingProxy } from '../../helpers/recordingProxy';
import { CLAUDE, assertClaudeInstalled, claudeEnv, claudeLogRoot, claudeMcpLogs, forgetDiscoverVerdicts, killGroup, runClient, writeClaudeConfig, type ClientResult } from '../../helpers/realClients';

interface FakeModel {
  url: string;
  /** Per request: the tool names in `tools`, and whether the request names the MCP tool anywhere. */
  requests: Array<{ tools: string[]; mentionsTool: boolean }>;
  close(): Promise<void>;
}

/**
 * A stand-in for the Anthropic Messages API on loopback, so `claude -p` runs offline and without an account:
 * when a request names the MCP tool it asks for one call of it, and once it has the tool's result it answers
 * `tool said: <result>`. (Claude Code 2.1 defers MCP tools: they are listed by name for ToolSearch rather
 * than in `tools`, and a direct call of a listed name works.)
 */
async function startFakeModel(tool: string, input: Record<string, unknown>): Promise<FakeModel> {
  interface Block {
    type: string;
    content?: string | Array<{ type: string; text?: string }>;
  }
  const requests: FakeModel['requests'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `fake model: no ${req.url}` } }));
        return;
      }
      const request = JSON.parse(body) as { tools?: Array<{ name: string }>; messages: Array<{ content: string | Block[] }> };
      requests.push({ tools: (request.tools ?? []).map((x) => x.name), mentionsTool: body.includes(tool) });
      const last = request.messages[request.messages.length - 1];
      const result = Array.isArray(last.content) ? last.content.find((b) => b.type === 'tool_result') : undefined;
      let blocks: Array<Record<string, unknown>>;
      let stop: string;
      if (result) {
        const text = typeof result.content === 'string' ? result.content : (result.content ?? []).map((c) => c.text ?? '').join('');
        blocks = [{ type: 'text', text: `tool said: ${text}` }];
        stop = 'end_turn';
      } else if (requests[requests.length - 1].mentionsTool) {
        blocks = [{ type: 'tool_use', id: 'toolu_shared_mcp_1', name: tool, input }];
        stop = 'tool_use';
      } else {
        blocks = [{ type: 'text', text: 'ok' }];
        stop = 'end_turn';
      }
      const events: Array<Record<string, unknown>> = [
        { type: 'message_start', message: { id: `msg_${requests.length}`, type: 'message', role: 'assistant', model: 'fake-model', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } } },
      ];
      blocks.forEach((b, index) => {
        if (b.type === 'text') {
          events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
          events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: b.text } });
        } else {
          events.push({ type: 'content_block_start', index, content_block: { ...b, input: {} } });
          events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) } });
        }
        events.push({ type: 'content_block_stop', index });
      });
      events.push({ type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 1 } });
      events.push({ type: 'message_stop' });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const e of events) res.write(`event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('Claude Code as an MCP client (test/clients)', function () {
  this.timeout(180_000);
  let t: TestHome | undefined;
  let env: NodeJS.ProcessEnv;
  let project: string;
  let url: string;
  let token: string;
  const children: ChildProcess[] = [];

  /** Runs claude in its own process group (killed in teardown), from a folder inside the temp home. */
  function claude(args: string[], extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 90_000): Promise<ClientResult> {
    return runClient(CLAUDE, args, { env: { ...env, ...extraEnv }, cwd: project, timeoutMs }, children);
  }

  /** `claude mcp list`'s line for one server, e.g. `echo: http://... (HTTP) - ✔ Connected`. */
  async function mcpListLine(name: string): Promise<{ line: string; why: string }> {
    await fs.rm(claudeLogRoot(env), { recursive: true, force: true });
    const r = await claude(['mcp', 'list']);
    const why = `claude mcp list exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\nClaude Code's MCP log:\n${await claudeMcpLogs(env)}\n`;
    assert.equal(r.code, 0, why);
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${name}: `));
    assert.ok(line, `no line for ${name} in claude mcp list\n${why}`);
    return { line, why };
  }

  before(async () => {
    assertClaudeInstalled();
    t = await TestHome.create({ echo: fixture('fixtureServer.js') });
    const up = await t.cli(['up']);
    assert.equal(up.code, 0, up.stderr);
    await t.waitForState('echo', 'running');
    const reg = await t.registry();
    assert.ok(reg, 'host.json');
    url = `http://127.0.0.1:${reg.port}/mcp/echo`;
    token = (await fs.readFile(path.join(t.home, 'token'), 'utf8')).trim();
    assert.ok(token.length >= 16, 'token file');
    env = claudeEnv(t);
    project = path.join(env.HOME as string, 'project');
    await fs.mkdir(project, { recursive: true });
    await fs.mkdir(env.TMPDIR as string, { recursive: true });
  });

  afterEach(() => {
    for (const c of children.splice(0)) killGroup(c);
  });

  after(async () => {
    for (const c of children.splice(0)) killGroup(c);
    await t?.dispose();
  });

  it('claude mcp list reports the shared server connected with the token from <home>/token', async () => {
    await writeClaudeConfig(env, { echo: { type: 'http', url, headers: { Authorization: `Bearer ${token}` } } });
    const { line, why } = await mcpListLine('echo');
    // "✔ Connected" only when initialize and tools/list both succeeded ("! Connected · tools fetch failed" otherwise).
    assert.equal(line, `echo: ${url} (HTTP) - ✔ Connected`, why);
  });

  it('claude mcp list reports a failed connection (HTTP 401) with a wrong token', async () => {
    await writeClaudeConfig(env, { echo: { type: 'http', url, headers: { Authorization: `Bearer not-${token}` } } });
    const { line, why } = await mcpListLine('echo');
    assert.match(line, new RegExp(`^echo: ${url.replace(/[.]/g, '\\.')} \\(HTTP\\) - ✘ Failed to connect\\b`), why);
    assert.match(line, /HTTP 401/, why);
  });

  /** `claude -p` with a fake model that asks for one call of `tool`; returns what it printed and why, for messages. */
  async function callThroughClaude(tool: string, text: string): Promise<{ r: ClientResult; why: string; model: FakeModel }> {
    const model = await startFakeModel(tool, { text });
    try {
      await fs.rm(claudeLogRoot(env), { recursive: true, force: true });
      await forgetDiscoverVerdicts(env);
      const r = await claude(['-p', 'Call the echo tool.', '--allowedTools', tool], {
        ANTHROPIC_BASE_URL: model.url,
        ANTHROPIC_API_KEY: 'sk-ant-fake-key-for-tests',
      });
      const why = `claude -p exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\nrequests to the model: ${JSON.stringify(model.requests)}\nClaude Code's MCP log:\n${await claudeMcpLogs(env)}\n`;
      assert.ok(model.requests.some((x) => x.mentionsTool), `no request to the model named ${tool}\n${why}`);
      return { r, why, model };
    } finally {
      await model.close();
    }
  }

  it('claude -p over HTTP: probes with server/discover, falls back on the host\'s 400, lists the tools and calls one', async () => {
    const reg = await t?.registry();
    assert.ok(reg);
    const proxy = await startRecordingProxy(reg.port);
    try {
      await writeClaudeConfig(env, { echo: { type: 'http', url: `${proxy.origin}/mcp/echo`, headers: { Authorization: `Bearer ${token}` } } });
      const { r, why } = await callThroughClaude('mcp__echo__echo', 'hello through Shared MCP');
      const wire = `${why}on the wire:\n${describeExchanges(proxy.exchanges)}`;
      assert.equal(r.stdout.trim(), 'tool said: hello through Shared MCP', wire);
      assert.equal(r.code, 0, wire);
      const posts = proxy.exchanges.filter((e) => e.method === 'POST');
      // The modern probe came first, was refused by the host with a 4xx, and the client fell back to initialize.
      assert.deepEqual(posts[0] && [posts[0].rpc, posts[0].protocolVersion], [['server/discover'], '2026-07-28'], wire);
      assert.ok((posts[0].status ?? 0) >= 400 && (posts[0].status ?? 0) < 500, wire);
      const init = posts.findIndex((e) => e.rpc.includes('initialize'));
      assert.ok(init > 0 && posts[init].status === 200, wire);
      for (const method of ['tools/list', 'tools/call']) assert.ok(posts.slice(init).some((e) => e.rpc.includes(method) && e.status === 200), `${method} answered\n${wire}`);
      assert.match(await claudeMcpLogs(env), /"protocolEra\\?":\\?"legacy\\?"/, wire);
    } finally {
      await proxy.close();
    }
  });

  it('claude -p through `shared-mcp bridge` (stdio): the bridge answers the probe, Claude Code falls back and calls the tool', async () => {
    const home = t as TestHome;
    await writeClaudeConfig(env, { bridged: { type: 'stdio', command: process.execPath, args: [CLI, 'bridge', 'echo'], env: { SHARED_MCP_HOME: home.home } } });
    const { r, why } = await callThroughClaude('mcp__bridged__echo', 'hello through the bridge');
    assert.equal(r.stdout.trim(), 'tool said: hello through the bridge', why);
    assert.equal(r.code, 0, why);
    const log = await claudeMcpLogs(env);
    // Claude Code logs its stdio servers' stderr: the bridge's line is the probe seen, the era the fallback.
    assert.match(log, /shared-mcp bridge echo: the client probed with server\/discover \(protocol 2026-07-28\); answered "method not found", so it goes on with initialize/, why);
    assert.match(log, /"protocolEra\\?":\\?"legacy\\?"/, why);
    assert.ok(log.indexOf('probed with server/discover') < log.indexOf('protocolEra'), why);
  });
});

