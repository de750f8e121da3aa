// One navigation's screen: the element it draws into, and a signal aborted when the admin navigates on, so
// that a screen still loading, its polls and its banners never reach the screen shown after it.
import { api } from "./api.js";
import { h, showBanner, showProblem } from "./dom.js";

const POLL_INTERVAL_MS = 1000;
const POLL_ROUNDS = 20;

export class Screen {
  #left = new AbortController();

  constructor() {
    this.element = h("div", { class: "screen" }, h("p", { class: "muted" }, "Loading…"));
  }

  /** Whether the admin still sees this screen. */
  get shown() {
    return !this.#left.signal.aborted;
  }

  leave() {
    this.#left.abort();
  }

  /**
   * The API for this screen. A read is cancelled once the screen is left (it rejects with an AbortError);
   * a change is not, since the API may have made it already: only what the screen would show after it is dropped.
   */
  api(method, apiPath, options = {}) {
    return api(method, apiPath, method === "GET" ? { ...options, signal: this.#left.signal } : options);
  }

  banner(kind, ...content) {
    if (this.shown) showBanner(kind, ...content);
  }

  problem(error, form = null) {
    if (this.shown) showProblem(error, form);
  }

  /** Calls `check` every second until it resolves true (then true), at most 20 times (then false). */
  async poll(check) {
    for (let round = 0; round < POLL_ROUNDS; round += 1) {
      await this.#sleep(POLL_INTERVAL_MS);
      if (await check()) return true;
    }
    return false;
  }

  // Resolves after `ms`, or rejects with the AbortError as soon as the screen is left.
  #sleep(ms) {
    const signal = this.#left.signal;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const stop = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", stop);
        resolve();
      }, ms);
      signal.addEventListener("abort", stop, { once: true });
    });
  }
}
