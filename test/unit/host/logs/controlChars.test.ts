import { strict as assert } from 'node:assert';
import { escapeControlChars } from '../../../../src/host/logs/controlChars';

describe('escapeControlChars', () => {
  it('writes CR, LF and every other C0 control but TAB, DEL, the C1 controls and U+2028/9 as escapes', () => {
    assert.equal(escapeControlChars('a\nb\r\nc'), 'a\\nb\\r\\nc');
    assert.equal(escapeControlChars('\u0000\u0001\u001b[31mred\u007f'), '\\u0000\\u0001\\u001b[31mred\\u007f');
    assert.equal(escapeControlChars('nel\u0085 ls\u2028 ps\u2029 c1\u009f'), 'nel\\u0085 ls\\u2028 ps\\u2029 c1\\u009f');
    assert.equal(escapeControlChars('tab\tstays'), 'tab\tstays');
  });

  it('leaves ordinary text, other Unicode and backslashes alone', () => {
    const text = 'plain ASCII, ünïcödé, 漢字, emoji 🙂, a\\nbackslash-n, \u00a0nbsp';
    assert.equal(escapeControlChars(text), text);
  });

  it('never leaves a character that ends a line, for any code unit', () => {
    let all = '';
    for (let c = 0; c < 0x10000; c++) if (c < 0xd800 || c > 0xdfff) all += String.fromCharCode(c);
    const out = escapeControlChars(all);
    assert.equal(out.split(/\r\n|\r|\n|\u0085|\u2028|\u2029|\v|\f|\u001c|\u001d|\u001e/).length, 1);
  });
});
