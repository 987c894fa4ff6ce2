// bench/RESULTS.md is shared by several benchmark scripts. Each owns one section between
// `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` and rewrites only that one; the header (machine
// and date) is regenerated on every write. Text outside the markers is not kept.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const resultsPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');

// The order sections appear in, whichever script wrote last.
const ORDER = ['host-startup', 'mux', 'sync'];

export const today = () => new Date().toISOString().slice(0, 10);

export function machine() {
  const cpus = os.cpus();
  let distro = '';
  try {
    distro = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {}
  const osText = `${distro ? distro + ', ' : ''}${os.platform()} ${os.release()}`;
  return `${cpus.length} × ${cpus[0]?.model?.trim() || 'unknown CPU'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}, ${osText}`;
}

function sections(text) {
  const found = new Map();
  const re = /<!-- bench:([a-z0-9-]+) -->\n([\s\S]*?)<!-- \/bench:\1 -->/g;
  for (let m; (m = re.exec(text)); ) found.set(m[1], m[2]);
  return found;
}

/** Replaces (or adds) section `name` with `body`, keeps every other section, and returns the whole file. */
export function writeSection(name, body) {
  const old = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '';
  const all = sections(old);
  all.set(name, body.endsWith('\n') ? body : body + '\n');
  const names = [...ORDER.filter((n) => all.has(n)), ...[...all.keys()].filter((n) => !ORDER.includes(n))];
  const md =
    `# Benchmark results\n\n` +
    `Machine: ${machine()}.\n` +
    `Last written ${today()} by \`npm run bench\`; each section says when it was measured and by which script.\n` +
    names.map((n) => `\n<!-- bench:${n} -->\n${all.get(n)}<!-- /bench:${n} -->\n`).join('');
  writeFileSync(resultsPath, md);
  return md;
}
