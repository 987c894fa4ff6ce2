import { strict as assert } from 'node:assert';
import { parseProcStat, processTree, readProcessTable, treeRssBytes, type ProcessInfo } from '../../../../src/host/supervisor/processTable';

/** A realistic /proc/<pid>/stat line: 52 fields, the command in parentheses. */
function statLine(pid: number, comm: string, state: string, ppid: number, pgid: number, startTime: number, rssPages: number): string {
  const fields = [
    `${pid}`, `(${comm})`, state, `${ppid}`, `${pgid}`, `${pgid}`, '0', '-1', '4194560', '100', '0', '0', '0', '1', '2', '0', '0', '20', '0', '1', '0',
    `${startTime}`, '1000000', `${rssPages}`, '18446744073709551615', '94895875477504', '94895875497385', '140730275545008', '0', '0', '0', '0', '0', '0', '0',
    '0', '0', '17', '0', '0', '0', '0', '0', '0', '94895875513392', '94895875515008', '94895895162880', '140730275547874', '140730275547894', '140730275547894',
    '140730275549163', '0',
  ];
  return `${fields.join(' ')}\n`;
}

function proc(pid: number, ppid: number, pgid: number, rssBytes = 0): ProcessInfo {
  return { pid, ppid, pgid, startTime: `${pid}00`, rssBytes, zombie: false };
}

function table(...rows: ProcessInfo[]): Map<number, ProcessInfo> {
  return new Map(rows.map((p) => [p.pid, p]));
}

const pids = (tree: ProcessInfo[]): number[] => tree.map((p) => p.pid).sort((a, b) => a - b);

describe('processTable', () => {
  describe('parseProcStat', () => {
    it('has 52 fields in the fixture line', () => {
      const line = statLine(1234, 'my (weird) proc', 'S', 1, 1234, 98765, 250);
      assert.equal(line.slice(line.lastIndexOf(')') + 2).trim().split(' ').length + 2, 52);
    });

    it('counts fields from the last ")" when the command holds spaces and parentheses', () => {
      const info = parseProcStat(statLine(1234, 'my (weird) proc', 'S', 1, 1234, 98765, 250));
      assert.deepEqual(info, { pid: 1234, ppid: 1, pgid: 1234, startTime: '98765', rssBytes: 250 * 4096, zombie: false });
    });

    it('handles a command that ends in ") S 9 9" without being fooled', () => {
      const info = parseProcStat(statLine(77, 'x) S 9 9', 'R', 5, 70, 111, 3));
      assert.deepEqual(info, { pid: 77, ppid: 5, pgid: 70, startTime: '111', rssBytes: 3 * 4096, zombie: false });
    });

    it('marks state Z as a zombie', () => {
      const info = parseProcStat(statLine(99, 'defunct', 'Z', 50, 50, 1, 0));
      assert.equal(info?.zombie, true);
      assert.equal(info?.rssBytes, 0);
    });

    it('does not mark other states as zombies', () => {
      for (const state of ['R', 'S', 'D', 'T', 'I']) assert.equal(parseProcStat(statLine(9, 'p', state, 1, 9, 1, 1))?.zombie, false, state);
    });

    it('is undefined for a line without ")" or with too few fields', () => {
      assert.equal(parseProcStat('1234 noparen S 1 2 3'), undefined);
      assert.equal(parseProcStat('1234 (short) S 1 1234 1234 0 -1'), undefined);
      assert.equal(parseProcStat(''), undefined);
    });
  });

  describe('processTree', () => {
    // root 100 (pgid 100) -> 101 -> 102; 103 was re-parented to 1 but kept pgid 100;
    // 104 is a child of 103; 200 and 201 are unrelated; 300 re-parented to 1 in another group.
    const t = table(
      proc(1, 0, 1),
      proc(100, 50, 100, 1000),
      proc(101, 100, 100, 200),
      proc(102, 101, 102, 30),
      proc(103, 1, 100, 4),
      proc(104, 103, 104, 5),
      proc(200, 50, 200, 7000),
      proc(201, 200, 200, 8000),
      proc(300, 1, 300, 9000),
      proc(50, 1, 50, 10000),
    );

    it('takes the root, its descendants and re-parented members of its process group', () => {
      assert.deepEqual(pids(processTree(t, 100)), [100, 101, 102, 103, 104]);
    });

    it('excludes unrelated processes, the parent and init', () => {
      const tree = pids(processTree(t, 100));
      for (const other of [1, 50, 200, 201, 300]) assert.ok(!tree.includes(other), `${other} must not be in the tree`);
    });

    it('uses an explicit pgid when given', () => {
      assert.deepEqual(pids(processTree(t, 101, 100)), [100, 101, 102, 103, 104]);
      assert.deepEqual(pids(processTree(t, 101, 999)), [101, 102]);
    });

    it('finds group members even when the root has exited', () => {
      const gone = new Map(t);
      gone.delete(100);
      assert.deepEqual(pids(processTree(gone, 100)), [101, 102, 103, 104]);
    });

    it('is empty when nothing of the server is left', () => {
      assert.deepEqual(processTree(t, 4000), []);
    });

    it('lists each process once even with a ppid cycle', () => {
      const cyc = table(proc(10, 11, 10), proc(11, 10, 10));
      assert.deepEqual(pids(processTree(cyc, 10)), [10, 11]);
    });
  });

  describe('treeRssBytes', () => {
    it('sums the RSS of the tree', () => {
      assert.equal(treeRssBytes([proc(1, 0, 1, 1000), proc(2, 1, 1, 234), proc(3, 1, 1, 0)]), 1234);
    });

    it('is 0 for an empty tree', () => {
      assert.equal(treeRssBytes([]), 0);
    });
  });

  describe('readProcessTable', () => {
    it('contains this process with its parent and a positive RSS', async () => {
      const snapshot = await readProcessTable();
      const me = snapshot.get(process.pid);
      assert.ok(me, 'this process is missing from the table');
      assert.equal(me.pid, process.pid);
      assert.equal(me.ppid, process.ppid);
      assert.ok(me.rssBytes > 0);
      assert.equal(me.zombie, false);
      assert.notEqual(me.startTime, '');
      assert.ok(snapshot.has(process.ppid));
    });

    it('finds this process in its own tree', async () => {
      const snapshot = await readProcessTable();
      const me = snapshot.get(process.pid);
      assert.ok(me);
      assert.ok(processTree(snapshot, process.pid, me.pgid).some((p) => p.pid === process.pid));
    });
  });
});
