import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../shared/registry';

/** config.jsonc as a new home gets it: empty, with a pointer to the reference. */
export const STARTER_CONFIG = `{
  // Shared MCP: each server here runs once per machine and is shared by every MCP client.
  // Reference: the "Configuration" section of the Shared MCP README.
  "mcpServers": {
    // "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] }
  }
}
`;

/** Creates a file with mode 0600 unless it exists. */
export async function ensureFile(file: string, content: string): Promise<void> {
  try {
    await fs.access(file);
  } catch {
    await writeFileAtomic(file, content, 0o600);
  }
}

