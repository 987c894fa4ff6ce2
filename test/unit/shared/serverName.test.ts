import { strict as assert } from 'node:assert';
import schema from '../../../schemas/config.schema.json';
import { addServerToConfig, addServersToConfig } from '../../../src/shared/config/configEdit';
import { validateConfigText } from '../../../src/shared/config/validateConfig';
import * as path from 'node:path';
import { homePaths, serverLogPath } from '../../../src/shared/homePaths';
import { SERVER_NAME_PATTERN, SERVER_NAME_RULE, isServerName } from '../../../src/shared/serverName';
import { planImport } from '../../../src/client/import/planImport';

/** Names one of the four old rules took and another refused (defect: Add Server took -memory, refused my.server). */
const GOOD = ['memory', 'my.server', 'a', 'A-1_b.c', '1password', 'x'.repeat(64), 'hosts', 'my-host', 'host.2', 'ghost'];
/** `host` in any case: its log would be logs/host.log, the host's own (regression: two writers rotated one file). */
const BAD = ['-memory', '.hidden', '_x', '', 'x'.repeat(65), 'a b', 'a/b', 'ü', 'host', 'HOST', 'Host'];

function importPlan(name: string): ReturnType<typeof planImport> {
  return planImport({ servers: [{ source: 'cursor', scope: 'user', file: '/x/.cursor/mcp.json', name, raw: { command: 'x' } }], problems: [] }, {});
}

describe('the one server-name rule', () => {
  it('is the pattern of the schema file editors read', () => {
    assert.equal(schema.properties.mcpServers.propertyNames.pattern, SERVER_NAME_PATTERN.source);
  });

  it('keeps every server log away from the host\'s own files in logs/', () => {
    const paths = homePaths('/h');
    const own = [paths.hostLog, paths.hostOut].map((p) => path.basename(p).toLowerCase());
    for (const name of [...GOOD, 'host']) {
      const file = path.basename(serverLogPath(paths, name)).toLowerCase();
      assert.equal(isServerName(name) && own.includes(file), false, `${name} → ${file}`);
    }
    assert.match(SERVER_NAME_RULE, /not "host"/, 'the rule says why');
  });

  for (const name of GOOD) {
    it(`accepts ${JSON.stringify(name)} in the loader, Add Server and import alike`, () => {
      assert.ok(isServerName(name));
      assert.deepEqual(validateConfigText(JSON.stringify({ mcpServers: { [name]: { command: 'x' } } })).errors, []);
      assert.doesNotThrow(() => addServerToConfig('{}', name, { command: 'x' }));
      assert.doesNotThrow(() => addServersToConfig('{}', [{ name, entry: { command: 'x' } }]));
      assert.deepEqual(importPlan(name).add.map((c) => c.name), [name]);
    });
  }

  for (const name of BAD) {
    it(`refuses ${JSON.stringify(name)} in the loader, Add Server and import alike`, () => {
      assert.ok(!isServerName(name));
      assert.equal(validateConfigText(JSON.stringify({ mcpServers: { [name]: { command: 'x' } } })).errors.length, 1);
      assert.throws(() => addServerToConfig('{}', name, { command: 'x' }), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID');
      assert.throws(() => addServersToConfig('{}', [{ name, entry: { command: 'x' } }]), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID');
      assert.deepEqual(importPlan(name).skipped.map((c) => c.name), [name]);
    });
  }
});
