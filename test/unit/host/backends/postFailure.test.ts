import { strict as assert } from 'node:assert';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { REMOTE_ERROR_TEXT_CHARS, postFailure } from '../../../../src/host/backends/postFailure';

const KEY = 'Bearer sk-remote-1f2e3d4c5b6a';
const redact = (text: string): string => text.replaceAll(KEY, '[redacted]');

describe('postFailure (what a caller is told of a failed POST to a remote)', () => {
  it("names the status and what the remote said, without the SDK's words, for both transports", () => {
    assert.equal(postFailure(new StreamableHTTPError(400, `Error POSTing to endpoint: invalid request for ${KEY}`), 400, redact), 'the remote answered HTTP 400: invalid request for [redacted]');
    assert.equal(postFailure(new Error(`Error POSTing to endpoint (HTTP 502): bad gateway\n${KEY}`), 502, redact), 'the remote answered HTTP 502: bad gateway\\n[redacted]');
    assert.equal(postFailure(new StreamableHTTPError(503, 'Error POSTing to endpoint: '), 503, redact), 'the remote answered HTTP 503');
  });

  it('says "could not be reached" only for a remote that did not answer', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
    assert.equal(postFailure(refused, undefined, redact), 'the remote server could not be reached: ECONNREFUSED');
    assert.equal(postFailure(new StreamableHTTPError(-1, `Unexpected content type: text/html; ${KEY}`), -1, redact), 'sending to the remote server failed: Streamable HTTP error: Unexpected content type: text/html; [redacted]');
    assert.equal(postFailure('a string', undefined, redact), 'sending to the remote server failed: a string');
  });

  it('redacts the whole body before it cuts it, so a secret at the cut does not show in part', () => {
    const body = `${'x'.repeat(REMOTE_ERROR_TEXT_CHARS - 5)}${KEY}${'y'.repeat(5000)}`;
    const text = postFailure(new StreamableHTTPError(400, `Error POSTing to endpoint: ${body}`), 400, redact);
    assert.equal(text, `the remote answered HTTP 400: ${'x'.repeat(REMOTE_ERROR_TEXT_CHARS - 5)}[reda…`);
  });
});
