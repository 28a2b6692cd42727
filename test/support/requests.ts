/** What a test file's requests listen to, so that none outlives the test that made it. */
import { setMaxListeners } from "node:events";
import { afterEach, beforeEach } from "vitest";

/**
 * The running test's signal: aborted when the test ends (pass, failure or timeout). Call at a
 * test file's top level; `listeners`, when given, is how many may listen to it at once (0: any).
 */
export function abortedWithEachTest(listeners?: number): { readonly signal: AbortSignal } {
  let current = new AbortController();
  beforeEach(({ signal }) => {
    const controller = new AbortController();
    if (listeners !== undefined) setMaxListeners(listeners, controller.signal);
    current = controller;
    signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  });
  afterEach(() => current.abort(new Error("the test is over")));
  return {
    get signal() {
      return current.signal;
    },
  };
}
