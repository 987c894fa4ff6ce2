import { strict as assert } from 'node:assert';
import { findTopLevelValue } from '../../../../src/host/sync/jsonTopLevel';

const valueOf = (text: string, key: string): string | undefined => {
  const span = findTopLevelValue(text, key);
  return span && text.slice(span.offset, span.offset + span.length);
};

describe('findTopLevelValue: the server object of a big file without a parse tree', () => {
  it('skips nested values whose strings and comments hold braces, brackets, quotes and the key itself', () => {
    const text = `// "mcpServers": {"fake": 1}
{
  "projects": { "/a": { "history": ["{ \\"mcpServers\\": [", "}}]]", "\\\\"], "mcpServers": { "nested": true } } },
  /* "mcpServers": {} */ "n": -1.5e3, "t": true, "z": null,
  "mcpServers": { "memory": { "command": "npx" } },
  "after": 1,
}`;
    assert.equal(valueOf(text, 'mcpServers'), '{ "memory": { "command": "npx" } }');
    assert.equal(valueOf(text, 'n'), '-1.5e3');
    assert.equal(valueOf(text, 'after'), '1');
    assert.equal(findTopLevelValue(text, 'mcpServers')?.keyOffset, text.indexOf('"mcpServers": { "memory"'));
  });

  it('is undefined for an absent key, an empty object, or something that is not an object', () => {
    assert.equal(findTopLevelValue('{ "a": { "mcpServers": {} } }', 'mcpServers'), undefined);
    assert.equal(findTopLevelValue('{}', 'mcpServers'), undefined);
    assert.equal(findTopLevelValue('[]', 'mcpServers'), undefined);
    assert.equal(findTopLevelValue('', 'mcpServers'), undefined);
  });

  it('reads keys with escapes', () => {
    assert.equal(valueOf('{"a\\"b": 1, "mcp\\u0053ervers": [2]}', 'mcpServers'), '[2]');
  });
});
