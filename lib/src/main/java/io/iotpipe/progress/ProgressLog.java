package io.iotpipe.progress;

import java.time.Duration;
import org.slf4j.Logger;

/**
 * One readable progress line every few seconds for long work (simulating, backfilling,
 * benchmarking): how much is done of how much, and the rate.
 */
public final class ProgressLog {
  private final Logger log;
  private final String what;
  private final long total;
  private final long everyNanos;
  private final long startNanos = System.nanoTime();
  private long lastNanos = startNanos;

  /** @param total expected amount, or 0 when unknown */
  public ProgressLog(Logger log, String what, long total, Duration every) {
    this.log = log;
    this.what = what;
    this.total = total;
    this.everyNanos = every.toNanos();
  }

  /** Logs a line if the interval has passed since the last one. Cheap to call often. */
  public void update(long done, String extra) {
    long now = System.nanoTime();
    if (now - lastNanos >= everyNanos) {
      lastNanos = now;
      log.info(line(done, now, extra));
    }
  }

  /** The closing line, always logged. */
  public void finish(long done, String extra) {
    log.info(line(done, System.nanoTime(), extra) + " done");
  }

  private String line(long done, long now, String extra) {
    double secs = Math.max(1e-9, (now - startNanos) / 1e9);
    String of = total > 0 ? String.format(" / ~%,d (%d%%)", total, Math.min(100, done * 100 / total)) : "";
    return String.format("%s: %,d%s, %,.0f/s, %.0f s%s", what, done, of, done / secs, secs,
        extra == null || extra.isEmpty() ? "" : ", " + extra);
  }
}
