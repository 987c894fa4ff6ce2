// Installs the real third-party MCP clients the acceptance tests drive (test/clients, its own npm folder)
// unless the pinned versions are already there. Run by `npm test` (pretest), so a fresh clone needs no extra step.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'clients');
const wanted = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).dependencies;

function installed(name) {
  const file = path.join(dir, 'node_modules', name, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : undefined;
}

/** The version a pin names: `1.2.3`, or `npm:<package>@1.2.3` for an alias (two releases of one package side by side). */
function versionOf(spec) {
  return spec.startsWith('npm:') ? spec.slice(spec.lastIndexOf('@') + 1) : spec;
}

const missing = Object.entries(wanted).filter(([name, spec]) => installed(name) !== versionOf(spec));
// Claude Code's postinstall puts its native binary in place; without it bin/claude.exe is a stub.
const claudeBin = path.join(dir, 'node_modules', '@anthropic-ai', 'claude-code', 'bin', 'claude.exe');
const stub = existsSync(claudeBin) && readFileSync(claudeBin).length < 10_000;
if (missing.length === 0 && !stub) process.exit(0);

console.log(`installing test clients into test/clients: ${missing.map(([n, spec]) => `${n}@${versionOf(spec)}`).join(', ') || 'claude native binary'}`);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['ci', '--prefix', dir, '--no-audit', '--no-fund'], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('could not install the test clients: run `npm ci --prefix test/clients` and look at its output');
  process.exit(1);
}
