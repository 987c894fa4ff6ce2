import { spawn } from 'node:child_process';
import * as path from 'node:path';

export const SHELL_ENV_TIMEOUT_MS = 10_000;
const MARK = '__SHARED_MCP_ENV__';
/** Variables that describe the capturing shell itself, not the user's environment. */
const SHELL_ONLY = ['SHLVL', '_', 'PWD', 'OLDPWD', 'ELECTRON_RUN_AS_NODE'];

/**
 * The login shell's environment merged over ours. An editor started from a GUI lacks the PATH a terminal has,
 * so `npx` or `uvx` would fail with ENOENT; servers get this environment instead. Falls back to process.env.
 */
export async function captureShellEnv(log: (msg: string) => void): Promise<NodeJS.ProcessEnv> {
  const shell = process.env.SHELL;
  if (process.platform === 'win32' || !shell) return { ...process.env };
  const name = path.basename(shell);
  const script = `'${process.execPath.replace(/'/g, `'\\''`)}' -e 'process.stdout.write("${MARK}" + JSON.stringify(process.env) + "${MARK}")'`;
  // -i -l: read the same files a terminal does. tcsh/csh do not take -l with -c, so they get -i only.
  const args = /^(t?csh)$/.test(name) ? ['-i', '-c', script] : ['-i', '-l', '-c', script];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(shell, args, {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      // A new session: an interactive shell must not grab the host's terminal.
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    const timer = setTimeout(() => {
      log(`login shell environment: ${shell} did not answer within ${SHELL_ENV_TIMEOUT_MS / 1000}s; servers get the host's environment`);
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
      resolve({ ...process.env });
    }, SHELL_ENV_TIMEOUT_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    child.on('error', () => undefined);
    child.on('close', () => {
      clearTimeout(timer);
      const m = new RegExp(`${MARK}([\\s\\S]*)${MARK}`).exec(out);
      if (!m) {
        log(`login shell environment: could not read it from ${shell}; servers get the host's environment`);
        return resolve({ ...process.env });
      }
      let shellEnv: NodeJS.ProcessEnv;
      try {
        shellEnv = JSON.parse(m[1]) as NodeJS.ProcessEnv;
      } catch {
        log(`login shell environment: ${shell} printed something unreadable; servers get the host's environment`);
        return resolve({ ...process.env });
      }
      for (const k of SHELL_ONLY) delete shellEnv[k];
      log(`login shell environment captured from ${shell} in ${Date.now() - started} ms`);
      const merged = { ...process.env, ...shellEnv };
      delete merged.ELECTRON_RUN_AS_NODE;
      resolve(merged);
    });
  });
}
