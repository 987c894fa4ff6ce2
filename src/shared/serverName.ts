import { SharedMcpError } from './errors';

/**
 * What a server's name may be: it is a URL path segment (/mcp/<name>), a key in every client's config file, the
 * `<name>` of permission rules like `mcp__<name>__<tool>`, and the name of its log, logs/<name>.log. The one rule:
 * the config schema (validateConfig puts this pattern into it), the loader, Add Server, import and the CLI all
 * test names with it. `host`, in any case (file systems that ignore case), is refused: logs/host.log is the
 * host's own log, and two writers would rotate one file.
 */
export const SERVER_NAME_PATTERN = /^(?![Hh][Oo][Ss][Tt]$)[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Said to whoever gives a name that does not fit SERVER_NAME_PATTERN. */
export const SERVER_NAME_RULE = 'a server name is 1 to 64 letters, digits, "_", "-" and ".", starting with a letter or a digit, and not "host" (logs/host.log is the host\'s own log)';

export function isServerName(name: unknown): name is string {
  return typeof name === 'string' && SERVER_NAME_PATTERN.test(name);
}

/** Throws CONFIG_INVALID naming the rule when `name` does not fit it. */
export function checkServerName(name: string): void {
  if (!isServerName(name)) throw new SharedMcpError('CONFIG_INVALID', `"${name}" is not a valid server name: ${SERVER_NAME_RULE}`);
}
