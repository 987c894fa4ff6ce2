import { formatPatch, structuredPatch } from 'diff';

export const DIFF_CONTEXT_LINES = 3;

/**
 * A unified diff of a file's two versions (`git diff` style, for `sync --dry-run`). Lines both versions share at the
 * start and end are cut before diffing, so a small change in a 20 MB file costs what the change costs.
 */
export function unifiedDiff(file: string, before: string | null, after: string | null): string {
  const a = splitLines(before ?? '');
  const b = splitLines(after ?? '');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const from = Math.max(0, head - DIFF_CONTEXT_LINES);
  const patch = structuredPatch(
    before === null ? '/dev/null' : `a${file}`,
    after === null ? '/dev/null' : `b${file}`,
    a.slice(from, Math.min(a.length, a.length - tail + DIFF_CONTEXT_LINES)).join(''),
    b.slice(from, Math.min(b.length, b.length - tail + DIFF_CONTEXT_LINES)).join(''),
    undefined,
    undefined,
    { context: DIFF_CONTEXT_LINES },
  );
  for (const h of patch.hunks) {
    // Line numbers of the whole file, not of the window; an empty side starts at line 0, as git writes it.
    h.oldStart += h.oldLines === 0 && from === 0 && a.length === 0 ? 0 : from;
    h.newStart += h.newLines === 0 && from === 0 && b.length === 0 ? 0 : from;
  }
  return formatPatch(patch).replace(/^=+\r?\n/, '');
}

/** Lines with their endings, so CRLF and a missing final newline show in the diff. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}
