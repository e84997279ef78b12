// A rate limit for repeated log lines (one per connection, or one per kind of
// trouble): the first `burst` lines pass, then at most one per `intervalMs`,
// and the line that passes says how many were held back since the last one.
// Keeps a flood of bad frames or failed writes from becoming a flood of logs.

export class LogLimit {
  private tokens: number;
  private last = 0;
  private held = 0;

  constructor(
    burst = 5,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
  }

  /** undefined: hold this line back (counted); otherwise log it, with `suppressed` lines held back since the last one. */
  take(): { suppressed: number } | undefined {
    const t = this.now();
    if (this.tokens <= 0 && t - this.last >= this.intervalMs) this.tokens = 1;
    if (this.tokens <= 0) {
      this.held++;
      return undefined;
    }
    this.tokens--;
    this.last = t;
    const suppressed = this.held;
    this.held = 0;
    return { suppressed };
  }
}
