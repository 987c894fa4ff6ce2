/**
 * Lets work run on without anyone waiting for it: the one way to start something and not await it. Its failure goes
 * to `onError` (a log line), so no rejection is ever left unhandled — the lint refuses a bare `void promise`, which
 * cannot show that the promise never rejects.
 */
export function detach(work: PromiseLike<unknown>, onError: (err: unknown) => void): void {
  Promise.resolve(work).then(undefined, (err: unknown) => {
    try {
      onError(err);
    } catch {
      // A reporter that fails must not turn one failure into an unhandled second one.
    }
  });
}
