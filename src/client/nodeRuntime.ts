import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const MIN_NODE_MAJOR = 20;
const VERSION_TIMEOUT_MS = 3000;

export interface NodeRuntime {
  path: string;
  /** Extra environment the runtime needs to behave as plain Node. */
  env: NodeJS.ProcessEnv;
}

/**
 * The runtime for the host (DESIGN.md): a `node` on PATH of version 20 or newer first; otherwise this process's
 * own runtime, which in a desktop editor is Electron and runs as Node only with ELECTRON_RUN_AS_NODE=1.
 */
export async function findNodeRuntime(env: NodeJS.ProcessEnv = process.env): Promise<NodeRuntime> {
  const names = process.platform === 'win32' ? ['node.exe'] : ['node'];
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      const candidate = path.join(dir, name);
      if (await isExecutable(candidate) && (await majorVersion(candidate)) >= MIN_NODE_MAJOR) return { path: candidate, env: {} };
    }
  }
  return { path: process.execPath, env: process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {} };
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fs.constants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

function majorVersion(node: string): Promise<number> {
  return new Promise((resolve) => {
    execFile(node, ['-p', 'process.versions.node'], { timeout: VERSION_TIMEOUT_MS, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } }, (err, stdout) => {
      resolve(err ? 0 : Number(stdout.trim().split('.')[0]) || 0);
    });
  });
}
