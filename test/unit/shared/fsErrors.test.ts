import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeFsError, fsError, fsReason, makeDir } from '../../../src/shared/fsErrors';

function errno(code: string, syscall: string, file: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: something, ${syscall} '${file}'`);
  err.code = code;
  err.syscall = syscall;
  err.path = file;
  return err;
}

describe('fsErrors', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-unit-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names the reason and the path for the failures a user can fix', () => {
    const cases: Array<[string, string]> = [
      ['EROFS', 'read-only file system'],
      ['EACCES', 'permission denied'],
      ['EPERM', 'operation not permitted'],
      ['ENOSPC', 'no space left on device'],
      ['EDQUOT', 'disk quota exceeded'],
      ['ENOTDIR', 'a file is in the way where a folder must be'],
    ];
    for (const [code, reason] of cases) {
      const err = errno(code, 'open', '/h/.cursor/.mcp.json.1.tmp');
      assert.equal(describeFsError(err, '/h/.cursor/mcp.json'), `${reason}: /h/.cursor/mcp.json`);
      assert.equal(describeFsError(err), `${reason}: /h/.cursor/.mcp.json.1.tmp`);
      assert.equal(fsReason(err), reason);
    }
  });

  it('keeps the message of anything else', () => {
    assert.equal(describeFsError(errno('EWHATEVER', 'open', '/x')), 'EWHATEVER: something, open \'/x\'');
    assert.equal(describeFsError(new Error('plain')), 'plain');
    assert.equal(describeFsError('text'), 'text');
  });

  it('fsError keeps code and syscall (callers still tell failures apart) and names the file', () => {
    const err = fsError(errno('EROFS', 'open', '/h/.x.tmp'), '/h/x') as NodeJS.ErrnoException;
    assert.deepEqual([err.message, err.code, err.syscall, err.path], ['read-only file system: /h/x', 'EROFS', 'open', '/h/x']);
    const other = new Error('not a file error');
    assert.equal(fsError(other, '/h/x'), other);
  });

  it('makeDir makes nested folders, and names the file in the way', async () => {
    await makeDir(path.join(dir, 'a', 'b', 'c'), 0o700);
    assert.ok(fs.statSync(path.join(dir, 'a', 'b', 'c')).isDirectory());
    await makeDir(path.join(dir, 'a', 'b', 'c'));
    fs.writeFileSync(path.join(dir, 'file'), '');
    await assert.rejects(makeDir(path.join(dir, 'file', 'sub')), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ENOTDIR');
      assert.equal(err.message, `a file is in the way where a folder must be: ${path.join(dir, 'file', 'sub')}`);
      return true;
    });
  });
});
