// The time Gatehouse reads and writes. In test mode the /test/clock route moves it forward: every expiry
// (codes, tokens, sessions, lockouts, throttles) and every time written (a token's iat and exp, a row's
// created_at) follows, because everything reads the `now` buildApp hands it, never Date.now itself.
export interface Clock {
  /** Milliseconds since the epoch, offset included. */
  now(): number;
  /** Milliseconds this clock is ahead of the real one. */
  offsetMs(): number;
  /** Moves the clock forward; time never goes back (a token issued later must never look older). */
  advance(ms: number): void;
}

/** A clock `offset` ahead of `real`; it lives in the one process test mode runs (config.ts). */
export function createClock(real: () => number = Date.now): Clock {
  let offset = 0;
  return {
    now: () => real() + offset,
    offsetMs: () => offset,
    advance(ms) {
      if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError('The clock only moves forward');
      offset += ms;
    },
  };
}
