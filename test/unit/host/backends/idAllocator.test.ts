import { strict as assert } from 'node:assert';
import { IdAllocator, type IdNamespace } from '../../../../src/host/backends/idAllocator';

const NAMESPACES: IdNamespace[] = ['backend', 'host', 'routed', 'aggregate'];

describe('IdAllocator', () => {
  it('hands out ids in order, each owned by its own namespace only (the namespaces are disjoint)', () => {
    for (const ns of NAMESPACES) {
      const ids = new IdAllocator(ns);
      const issued = Array.from({ length: 20 }, () => ids.next());
      assert.equal(new Set(issued).size, 20, `${ns}: no id twice`);
      for (const other of NAMESPACES) {
        const owner = new IdAllocator(other);
        for (const id of issued) assert.equal(owner.owns(id), other === ns, `${String(id)} of ${ns} owned by ${other}?`);
      }
    }
  });

  it('owns nothing a client could send by chance: 0, negatives, fractions, other strings', () => {
    const backend = new IdAllocator('backend');
    const host = new IdAllocator('host');
    for (const id of [0, -1, 1.5, '1', null, undefined, NaN]) assert.equal(backend.owns(id), false, String(id));
    for (const id of ['shared-mcp-', 'shared-mcp-s1', 'shared-mcp-1x', 'Shared-mcp-1', 'agg-1', 1]) assert.equal(host.owns(id), false, String(id));
  });
});
