package io.iotpipe.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Statement;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes statements to Cassandra with up to {@code maxInFlight} of them outstanding at once, and
 * fails with the first error. One synchronous write at a time spends most of its time waiting for
 * the round trip: a micro-batch of a few thousand rows took seconds that way.
 *
 * <p>Only for writes whose result does not depend on the order they arrive in: each with its own
 * key, or with an explicit write timestamp ({@code USING TIMESTAMP}) deciding which one wins.
 * {@link #close} waits for every write sent and then throws the first failure, if any; use it in
 * try-with-resources, so that a task that ends has written everything or fails (and Spark retries
 * it, which is why the writes must be idempotent too).
 */
public final class InFlightWrites implements AutoCloseable {
  /** Outstanding writes per task in the jobs: enough to hide the round trip, far below the driver's limit. */
  public static final int PER_TASK = 64;

  private final CqlSession session;
  private final int maxInFlight;
  private final Semaphore permits;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private long sent;

  public InFlightWrites(CqlSession session, int maxInFlight) {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be at least 1, not " + maxInFlight);
    }
    this.session = session;
    this.maxInFlight = maxInFlight;
    this.permits = new Semaphore(maxInFlight);
  }

  /** Sends {@code statement}, first waiting while {@code maxInFlight} are outstanding; fails if an earlier one did. */
  public void send(Statement<?> statement) {
    permits.acquireUninterruptibly();
    if (failure.get() != null) { // checked after the wait: a write that failed meanwhile stops this one
      permits.release();
      throwIfFailed();
    }
    try {
      session.executeAsync(statement).whenComplete((result, error) -> {
        if (error != null) {
          failure.compareAndSet(null, error);
        }
        permits.release();
      });
    } catch (RuntimeException e) { // not sent: give its place back, or close() would wait for it forever
      permits.release();
      throw e;
    }
    sent++;
  }

  /** Statements sent so far. */
  public long sent() {
    return sent;
  }

  /** Waits until every statement sent has completed; throws the first failure. */
  @Override
  public void close() {
    permits.acquireUninterruptibly(maxInFlight);
    permits.release(maxInFlight);
    throwIfFailed();
  }

  private void throwIfFailed() {
    Throwable e = failure.get();
    if (e != null) {
      throw new IllegalStateException("a write to Cassandra failed: " + e.getMessage(), e);
    }
  }
}
