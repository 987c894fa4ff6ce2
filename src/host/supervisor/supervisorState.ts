import { Emitter } from '../../shared/emitter';
import type { ServerState } from '../../shared/controlTypes';

export interface StateChange {
  server: string;
  state: ServerState;
  previous: ServerState;
  reason: string | null;
}

/**
 * A server's state and last error as everyone sees them (status, events, MCP clients' errors): every reason and
 * error passes the redactor first, so no secret value leaves through them.
 */
export class SupervisorState {
  private readonly onDidChangeEmitter = new Emitter<StateChange>();
  readonly onDidChange = this.onDidChangeEmitter.event;
  private errorText: string | null = null;

  constructor(
    private readonly server: string,
    private current: ServerState,
    private readonly redact: (text: string) => string = (text) => text,
  ) {}

  get state(): ServerState {
    return this.current;
  }

  get lastError(): string | null {
    return this.errorText;
  }

  /** A reason as it may be shown. */
  clean(text: string): string {
    return this.redact(text);
  }

  setError(reason: string | null): void {
    this.errorText = reason === null ? null : this.redact(reason);
  }

  /** Fires a change unless the state is the same and there is no new reason. */
  set(state: ServerState, reason: string | null): void {
    if (state === this.current && reason === null) return;
    const previous = this.current;
    this.current = state;
    this.onDidChangeEmitter.fire({ server: this.server, state, previous, reason: reason === null ? null : this.redact(reason) });
  }

  dispose(): void {
    this.onDidChangeEmitter.dispose();
  }
}
