// Log ids that sort by time, so that checkpoint paging (`from=<log_id>`) is "every id greater than this one":
// 12 hex digits of epoch milliseconds, then this writer's random tag and its counter (ids of one millisecond
// from one writer keep their order; two writers' tags keep theirs apart). Fixed width: text order is time order.
import { randomBytes } from 'node:crypto';

export class LogIdSource {
  private readonly tag = randomBytes(4).toString('hex');
  private sequence = 0;

  next(at: number): string {
    this.sequence = (this.sequence + 1) % 0x1000000;
    return (
      Math.max(0, Math.floor(at)).toString(16).padStart(12, '0') +
      this.tag +
      this.sequence.toString(16).padStart(6, '0')
    );
  }
}
