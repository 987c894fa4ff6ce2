/**
 * Characters that could end a log line or steer a terminal: CR, LF and the other C0 controls except TAB, DEL, the C1
 * controls (NEL among them) and the Unicode line and paragraph separators. TAB stays: it cannot start a line, and
 * servers' own output uses it.
 */
const CONTROL_CHARS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r' };

/**
 * The text with every such character written as an escape (`\n`, `\r`, `\u001b`), so that one entry stays one line:
 * text a client or a server chose (a method name, a clientInfo, an error body) can never forge a line of a log.
 */
export function escapeControlChars(text: string): string {
  return text.replace(CONTROL_CHARS, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
