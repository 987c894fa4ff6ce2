import { strict as assert } from 'node:assert';
import { formatPath, validateConfigText, type ValidationResult } from '../../../../src/shared/config/validateConfig';
import { SERVER_NAME_RULE } from '../../../../src/shared/serverName';

/** 1-based line and column of the n-th occurrence of needle in text. */
function posOf(text: string, needle: string, nth = 0): { line: number; column: number } {
  let index = -1;
  for (let i = 0; i <= nth; i++) {
    index = text.indexOf(needle, index + 1);
    assert.ok(index >= 0, `fixture does not contain ${needle}`);
  }
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - (before.lastIndexOf('\n') + 1) + 1 };
}

function onlyError(result: ValidationResult): { path: string; message: string; line: number; column: number } {
  assert.equal(result.raw, undefined, 'raw must be absent when there are errors');
  assert.equal(result.errors.length, 1, `expected one error, got ${JSON.stringify(result.errors)}`);
  return result.errors[0];
}

const SERVER_NAME_MESSAGE = `invalid server name: ${SERVER_NAME_RULE}`;

describe('validateConfigText', () => {
  describe('schema errors', () => {
    it('reports args given as a string at the args value', () => {
      const text = '{\n  "mcpServers": {\n    "github": { "command": "x", "args": "--foo" }\n  }\n}';
      const e = onlyError(validateConfigText(text));
      assert.equal(e.path, 'mcpServers.github.args');
      assert.equal(e.message, 'expected an array of strings');
      assert.deepEqual({ line: e.line, column: e.column }, posOf(text, '"--foo"'));
    });

    it('reports an array item of the wrong type at the array path, located at the item', () => {
      const text = '{\n  "mcpServers": {\n    "github": {\n      "command": "x",\n      "args": ["a", 3]\n    }\n  }\n}';
      const e = onlyError(validateConfigText(text));
      assert.equal(e.path, 'mcpServers.github.args');
      assert.equal(e.message, 'expected an array of strings');
      assert.deepEqual({ line: e.line, column: e.column }, posOf(text, '3]'));
      assert.equal(e.line, 5);
    });

    it('reports a wrong-typed item of tools.enabled at the array path', () => {
      const e = onlyError(validateConfigText('{"mcpServers":{"a":{"command":"x","tools":{"enabled":[1]}}}}'));
      assert.equal(e.path, 'mcpServers.a.tools.enabled');
      assert.equal(e.message, 'expected an array of strings');
    });

    it('reports a bad autoStart with the allowed values', () => {
      const text = '{"mcpServers":{"a":{"command":"x","autoStart":"yes"}}}';
      const e = onlyError(validateConfigText(text));
      assert.equal(e.path, 'mcpServers.a.autoStart');
      assert.equal(e.message, 'expected one of true, false, "lazy"');
      assert.deepEqual({ line: e.line, column: e.column }, posOf(text, '"yes"'));
    });

    for (const name of ['bad name', '.hidden', '-dash', 'a'.repeat(65), 'a/b', 'a~b']) {
      it(`rejects the server name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…` : name)} at the key`, () => {
        const text = `{"mcpServers":{${JSON.stringify(name)}:{"command":"x"}}}`;
        const e = onlyError(validateConfigText(text));
        assert.equal(e.path, name.length > 64 ? `mcpServers.${name}` : `mcpServers[${JSON.stringify(name)}]`);
        assert.equal(e.message, SERVER_NAME_MESSAGE);
        assert.deepEqual({ line: e.line, column: e.column }, posOf(text, JSON.stringify(name)));
      });
    }

    it('accepts server names with dots, dashes and underscores', () => {
      const r = validateConfigText('{"mcpServers":{"my.server_1-x":{"command":"x"},"A":{"command":"y"}}}');
      assert.deepEqual(r.errors, []);
      assert.deepEqual(Object.keys(r.raw?.mcpServers ?? {}), ['my.server_1-x', 'A']);
    });

    it('rejects an empty command', () => {
      const e = onlyError(validateConfigText('{"mcpServers":{"a":{"command":""}}}'));
      assert.equal(e.path, 'mcpServers.a.command');
      assert.equal(e.message, 'must not be empty');
    });

    it('rejects a malformed or negative duration', () => {
      for (const value of ['"5 minutes"', '-1', '"10d"']) {
        const text = `{"mcpServers":{"a":{"command":"x","idleTimeout":${value}}}}`;
        const e = onlyError(validateConfigText(text));
        assert.equal(e.path, 'mcpServers.a.idleTimeout', value);
        assert.equal(e.message, 'expected a duration such as 1500, "30s" or "5m"', value);
        assert.deepEqual({ line: e.line, column: e.column }, posOf(text, value), value);
      }
    });

    it('rejects a bad restartDelay and stopGrace as durations', () => {
      const a = onlyError(validateConfigText('{"mcpServers":{"a":{"command":"x","resourceLimits":{"restartDelay":"soon"}}}}'));
      assert.equal(a.path, 'mcpServers.a.resourceLimits.restartDelay');
      assert.match(a.message, /^expected a duration/);
      const b = onlyError(validateConfigText('{"settings":{"stopGrace":"1 week"}}'));
      assert.equal(b.path, 'settings.stopGrace');
      assert.match(b.message, /^expected a duration/);
    });

    it('rejects a malformed or non-positive size', () => {
      for (const value of ['"lots"', '0', '-5', '"12T"']) {
        const text = `{"mcpServers":{"a":{"command":"x","resourceLimits":{"maxMemory":${value}}}}}`;
        const e = onlyError(validateConfigText(text));
        assert.equal(e.path, 'mcpServers.a.resourceLimits.maxMemory', value);
        assert.equal(e.message, 'expected a size such as 512 (MB), "512M" or "1G"', value);
      }
    });

    it('rejects a non-integer maxRestarts', () => {
      const e = onlyError(validateConfigText('{"mcpServers":{"a":{"command":"x","resourceLimits":{"maxRestarts":1.5}}}}'));
      assert.equal(e.path, 'mcpServers.a.resourceLimits.maxRestarts');
      assert.equal(e.message, 'expected an integer of at least 0');
    });

    it('rejects a persistSecrets that is not a boolean', () => {
      const text = '{"settings":{"persistSecrets":"yes"}}';
      const e = onlyError(validateConfigText(text));
      assert.equal(e.path, 'settings.persistSecrets');
      assert.equal(e.message, 'expected a boolean');
    });

    it('warns about ${secret:NAME} where it is not resolved (args, command, url, cwd), not in env or headers', () => {
      const text = JSON.stringify({ mcpServers: { a: { command: 'x', args: ['--token', '${secret:TOKEN}'], env: { T: '${secret:TOKEN}' } }, b: { url: 'https://h/${secret:K}', headers: { A: '${secret:K}' } } } });
      const r = validateConfigText(text);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.warnings.map((w) => w.path), ['mcpServers.a.args[1]', 'mcpServers.b.url']);
      assert.match(r.warnings[0].message, /works only in "env" and "headers"/);
      assert.ok(r.raw, 'still valid');
    });

    it('rejects ports outside 1..65535', () => {
      for (const [key, value] of [['port', '0'], ['port', '70000'], ['portBase', '65536']]) {
        const text = `{"settings":{"${key}":${value}}}`;
        const e = onlyError(validateConfigText(text));
        assert.equal(e.path, `settings.${key}`);
        assert.equal(e.message, 'expected an integer from 1 to 65535');
        assert.deepEqual({ line: e.line, column: e.column }, posOf(text, value));
      }
    });

    it('rejects a url that is not http(s)', () => {
      const text = '{"mcpServers":{"a":{"url":"ftp://example.com"}}}';
      const e = onlyError(validateConfigText(text));
      assert.equal(e.path, 'mcpServers.a.url');
      assert.equal(e.message, 'expected an http:// or https:// URL');
      assert.deepEqual({ line: e.line, column: e.column }, posOf(text, '"ftp'));
    });

    it('rejects a non-string env value naming the variable', () => {
      const e = onlyError(validateConfigText('{"mcpServers":{"a":{"command":"x","env":{"TOKEN":1}}}}'));
      assert.equal(e.path, 'mcpServers.a.env.TOKEN');
      assert.equal(e.message, 'expected a string');
    });

    it('rejects a document that is not an object', () => {
      for (const text of ['[]', 'null', '"x"']) {
        const e = onlyError(validateConfigText(text));
        assert.equal(e.path, '');
        assert.equal(e.message, 'expected an object');
        assert.deepEqual([e.line, e.column], [1, 1]);
      }
    });
  });

  describe('command / url / type rules', () => {
    it('needs a command or a url, reported at the server key', () => {
      const text = '{\n  "mcpServers": {\n    "a": {}\n  }\n}';
      const e = onlyError(validateConfigText(text));
      assert.equal(e.path, 'mcpServers.a');
      assert.equal(e.message, 'needs a "command" (stdio server) or a "url" (remote server)');
      assert.deepEqual({ line: e.line, column: e.column }, posOf(text, '"a"'));
    });

    it('rejects both command and url at the url key', () => {
      const text = '{"mcpServers":{"a":{"command":"x","url":"https://a.example"}}}';
      const e = onlyError(validateConfigText(text));
      assert.equal(e.path, 'mcpServers.a.url');
      assert.equal(e.message, 'set either "command" or "url", not both');
      assert.deepEqual({ line: e.line, column: e.column }, posOf(text, '"url"'));
    });

    it('rejects a stdio type with a url', () => {
      const text = '{"mcpServers":{"a":{"type":"stdio","url":"https://a.example"}}}';
      const e = onlyError(validateConfigText(text));
      assert.equal(e.path, 'mcpServers.a.type');
      assert.equal(e.message, '"stdio" servers need a "command", not a "url"');
      assert.deepEqual({ line: e.line, column: e.column }, posOf(text, '"type"'));
    });

    it('rejects remote types with a command', () => {
      for (const type of ['http', 'sse', 'streamable-http']) {
        const e = onlyError(validateConfigText(`{"mcpServers":{"a":{"type":"${type}","command":"x"}}}`));
        assert.equal(e.path, 'mcpServers.a.type');
        assert.equal(e.message, `"${type}" servers need a "url", not a "command"`);
      }
    });

    it('rejects an unknown type', () => {
      const e = onlyError(validateConfigText('{"mcpServers":{"a":{"type":"websocket","url":"https://a.example"}}}'));
      assert.equal(e.path, 'mcpServers.a.type');
      assert.match(e.message, /^expected one of "stdio", "http", "sse"/);
    });
  });

  describe('JSON syntax', () => {
    it('reports a missing comma with line and column', () => {
      const text = '{\n  "mcpServers": {\n    "a": { "command": "x" }\n    "b": { "command": "y" }\n  }\n}';
      const r = validateConfigText(text);
      assert.equal(r.raw, undefined);
      assert.deepEqual(r.errors[0], { path: '', message: "invalid JSON: ',' expected", ...posOf(text, '"b"') });
    });

    it('reports an unterminated string at its start', () => {
      const text = '{\n  "mcpServers": {\n    "a": { "command": "x\n  }\n}';
      const r = validateConfigText(text);
      assert.equal(r.raw, undefined);
      assert.deepEqual(r.errors[0], { path: '', message: 'invalid JSON: unterminated string', ...posOf(text, '"x') });
      assert.ok(r.errors.every((e) => e.message.startsWith('invalid JSON: ')));
    });

    it('reports content after the document', () => {
      const r = validateConfigText('{}\n{');
      assert.deepEqual(r.errors, [{ path: '', message: 'invalid JSON: unexpected content after the end of the document', line: 2, column: 1 }]);
    });

    it('accepts comments and trailing commas', () => {
      const text = '// servers\n{\n  /* block */ "mcpServers": {\n    "a": { "command": "x", "args": ["1",], }, // trailing\n  },\n}\n';
      const r = validateConfigText(text);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.raw, { mcpServers: { a: { command: 'x', args: ['1'] } } });
    });

    it('treats empty or blank text as a valid empty config', () => {
      for (const text of ['', '  \n\t\n', '// only a comment\n']) {
        assert.deepEqual(validateConfigText(text), { raw: {}, errors: [], warnings: [] }, JSON.stringify(text));
      }
    });
  });

  describe('unknown keys and ordering', () => {
    it('warns about unknown keys and strips them from raw', () => {
      const text = '{"mcpServers":{"a":{"command":"x","foo":1}},"bar":2}';
      const r = validateConfigText(text);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.warnings, [
        { path: 'mcpServers.a.foo', message: 'unknown key (ignored)', ...posOf(text, '"foo"') },
        { path: 'bar', message: 'unknown key (ignored)', ...posOf(text, '"bar"') },
      ]);
      assert.deepEqual(r.raw, { mcpServers: { a: { command: 'x' } } });
    });

    it('sorts errors by position, not by schema order', () => {
      const text = '{\n  "settings": { "port": 0 },\n  "mcpServers": { "a": { "autoStart": "x", "args": "s", "command": "c" } }\n}';
      const r = validateConfigText(text);
      assert.deepEqual(r.errors.map((e) => e.path), ['settings.port', 'mcpServers.a.autoStart', 'mcpServers.a.args']);
      const positions = r.errors.map((e) => [e.line, e.column]);
      assert.deepEqual(positions, [
        [posOf(text, '0 }').line, posOf(text, '0 }').column],
        [posOf(text, '"x"').line, posOf(text, '"x"').column],
        [posOf(text, '"s"').line, posOf(text, '"s"').column],
      ]);
    });

    it('warns that portBase is ignored when port is also set', () => {
      const r = validateConfigText('{"settings":{"port":1,"portBase":2}}');
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.warnings.map((w) => [w.path, w.message]), [['settings.portBase', 'ignored: "port" (1) is set too']]);
    });

    it('accepts an unchanged mcp-compose file', () => {
      const text =
        '{"settings":{"portBase":19200,"claudeConfigPath":"~/.mcp.json","codexConfigPath":"~/.codex/config.toml","logLevel":"info"},' +
        '"mcpServers":{"my-server":{"type":"stdio","command":"uvx","args":["package@latest"],"env":{"API_KEY":"xxx"},"logLevel":"info",' +
        '"resourceLimits":{"maxMemory":"512M","maxRestarts":10,"restartDelay":1000}},"remote":{"type":"sse","url":"https://example.com/sse","proxy":true}}}';
      const r = validateConfigText(text);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.warnings, []);
      assert.deepEqual(r.raw, JSON.parse(text));
    });

    it('loads a Claude Desktop file with an extra top-level key, with a warning', () => {
      const text = '{\n  "globalShortcut": "Ctrl+Space",\n  "mcpServers": {\n    "fs": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"] }\n  }\n}';
      const r = validateConfigText(text);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.warnings, [{ path: 'globalShortcut', message: 'unknown key (ignored)', line: 2, column: 3 }]);
      assert.deepEqual(r.raw, { mcpServers: { fs: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'] } } });
    });
  });
});

describe('formatPath', () => {
  it('joins identifiers with dots and indexes with brackets', () => {
    assert.equal(formatPath(['mcpServers', 'github', 'args', 1]), 'mcpServers.github.args[1]');
    assert.equal(formatPath(['mcpServers', 'my-server', 'env', '_X']), 'mcpServers.my-server.env._X');
  });

  it('quotes keys that are not identifiers', () => {
    assert.equal(formatPath(['mcpServers', 'my.server', 'args']), 'mcpServers["my.server"].args');
    assert.equal(formatPath(['mcpServers', 'a b']), 'mcpServers["a b"]');
    assert.equal(formatPath(['1abc']), '["1abc"]');
  });

  it('is empty for the whole document', () => {
    assert.equal(formatPath([]), '');
  });

  it('is used for reported paths of dotted server names', () => {
    const e = onlyError(validateConfigText('{"mcpServers":{"my.server":{"command":"x","args":"s"}}}'));
    assert.equal(e.path, 'mcpServers["my.server"].args');
  });

  describe('regressions', () => {
    it('locates errors under an all-digit server name at the right key', () => {
      const text = '{"mcpServers":{"123":{"command":"x","args":"s"}}}';
      const e = onlyError(validateConfigText(text));
      assert.equal(e.path, 'mcpServers["123"].args');
      assert.deepEqual({ line: e.line, column: e.column }, posOf(text, '"s"'));
    });

    it('rejects a maxMemory of "0" instead of silently meaning no limit', () => {
      const e = onlyError(validateConfigText('{"mcpServers":{"a":{"command":"x","resourceLimits":{"maxMemory":"0"}}}}'));
      assert.equal(e.path, 'mcpServers.a.resourceLimits.maxMemory');
      assert.match(e.message, /must be more than 0/);
    });
  });
});
