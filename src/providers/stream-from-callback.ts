/**
 * Turns a run that reports text through a callback into an async iterable of the pieces: they are
 * yielded as they come, and the run's failure is thrown after the pieces that came before it.
 */
export async function* streamFromCallback(run: (onText: (text: string) => void) => Promise<unknown>): AsyncIterable<string> {
  const pieces: string[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: unknown;
  const running = run((text) => {
    if (text !== "") pieces.push(text);
    wake?.();
  })
    .then(
      () => undefined,
      (error: unknown) => {
        failure = error;
      },
    )
    .finally(() => {
      finished = true;
      wake?.();
    });
  while (true) {
    const next = pieces.shift();
    if (next !== undefined) {
      yield next;
      continue;
    }
    if (finished) break;
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
    wake = undefined;
  }
  await running;
  if (failure !== undefined) throw failure;
}
