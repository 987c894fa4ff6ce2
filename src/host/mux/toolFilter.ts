/** A server's `tools` setting: enabled lists the only visible tools, disabled hides some; a hidden tool does not exist for clients. */
export interface ToolFilterConfig {
  enabled?: string[];
  disabled?: string[];
}

/** Whether clients may see and call the tool with this name. */
export function toolAllowed(filter: ToolFilterConfig, name: string): boolean {
  if (filter.enabled && !filter.enabled.includes(name)) return false;
  if (filter.disabled && filter.disabled.includes(name)) return false;
  return true;
}

/** True when the filter hides nothing (the fast path skips rewriting tools/list). */
export function filterIsEmpty(filter: ToolFilterConfig): boolean {
  return !filter.enabled && (!filter.disabled || filter.disabled.length === 0);
}

/** A tools/list result with the hidden tools removed; the input is not changed. */
export function filterToolsResult(filter: ToolFilterConfig, result: Record<string, unknown>): Record<string, unknown> {
  const tools = result.tools;
  if (filterIsEmpty(filter) || !Array.isArray(tools)) return result;
  return { ...result, tools: tools.filter((t: { name?: unknown }) => typeof t?.name === 'string' && toolAllowed(filter, t.name)) };
}
