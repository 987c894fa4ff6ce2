import { SharedMcpError } from '../shared/errors';

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_U = '\u0015';
const BACKSPACES = ['\u007f', '\b'];
/** Arrow keys and the like send escape sequences: never part of a value. */
const ESCAPE_SEQUENCE = /\u001b(\[[0-9;]*[A-Za-z~]|O[A-Za-z])?/g;

/**
 * A secret's value, never from the command line: asked for without echo when stdin is a terminal, else all of
 * stdin without one trailing newline (`printf %s "$TOKEN" | …`, `… < key.pem`). Throws USAGE when it is empty or
 * the prompt is cancelled.
 */
export async function readSecretValue(name: string, stdin: NodeJS.ReadStream, prompt: NodeJS.WriteStream): Promise<string> {
  const value = stdin.isTTY ? await askHidden(`Value for ${name} (input hidden): `, stdin, prompt) : withoutTrailingNewline(await readAll(stdin));
  if (value === '') {
    throw new SharedMcpError('USAGE', stdin.isTTY ? 'no value entered: nothing was set' : `no value on stdin: pipe it in (printf %s "$VALUE" | shared-mcp secret set ${name}) or run the command in a terminal to be asked`);
  }
  return value;
}

function withoutTrailingNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

async function readAll(stdin: NodeJS.ReadStream): Promise<string> {
  let text = '';
  stdin.setEncoding('utf8');
  for await (const chunk of stdin) text += chunk as string;
  return text;
}

/** Reads one line in raw mode, so the terminal shows nothing of it; Ctrl-C or Ctrl-D cancels. */
function askHidden(question: string, stdin: NodeJS.ReadStream, prompt: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (err?: SharedMcpError): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      prompt.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk.replace(ESCAPE_SEQUENCE, '')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === CTRL_C || (ch === CTRL_D && value === '')) return finish(new SharedMcpError('USAGE', 'cancelled: nothing was set'));
        if (ch === CTRL_U) value = '';
        else if (BACKSPACES.includes(ch)) value = [...value].slice(0, -1).join('');
        else if (ch >= ' ' || ch === '\t') value += ch;
      }
    };
    // Echo off before the question shows: whatever is typed after seeing it is never displayed.
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
    prompt.write(question);
  });
}
