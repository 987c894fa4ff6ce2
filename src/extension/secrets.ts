import type * as vscode from 'vscode';

const KEY_PREFIX = 'sharedMcp.secret.';

/**
 * Secrets of Shared MCP (OAuth tokens, API keys for `${secret:NAME}`) in VS Code's SecretStorage: the OS keychain,
 * never settings or files.
 */
export class Secrets {
  constructor(private readonly storage: vscode.SecretStorage) {}

  get(name: string): Thenable<string | undefined> {
    return this.storage.get(KEY_PREFIX + name);
  }

  set(name: string, value: string): Thenable<void> {
    return this.storage.store(KEY_PREFIX + name, value);
  }

  delete(name: string): Thenable<void> {
    return this.storage.delete(KEY_PREFIX + name);
  }

  /** Calls back with the name of each secret stored or deleted, in this window or another. */
  onDidChange(listener: (name: string) => void): vscode.Disposable {
    return this.storage.onDidChange((e) => {
      if (e.key.startsWith(KEY_PREFIX)) listener(e.key.slice(KEY_PREFIX.length));
    });
  }
}
