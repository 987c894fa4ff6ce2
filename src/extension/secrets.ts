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
}
