package io.iotpipe.jobs.ingest;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accounts for every record of every micro-batch of the ingest query: consumed = valid +
 * quarantined + duplicates dropped. The sink reports valid and quarantined counts; Spark's
 * progress reports what the batch consumed and what the deduplication dropped. One line per
 * batch, and an error line if the books do not balance.
 */
public final class IngestProgress extends StreamingQueryListener implements IngestSink.Counts {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger("io.iotpipe.jobs.ingest");

  private final String queryName;
  private final Map<Long, long[]> sinkCounts = new ConcurrentHashMap<>();
  private final AtomicLong consumed = new AtomicLong();
  private final AtomicLong valid = new AtomicLong();
  private final AtomicLong quarantined = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong unbalancedBatches = new AtomicLong();
  private volatile long lastBatchId = -1;
  /** The run this listener accounts for: the first query of its name that starts after it is added. */
  private volatile java.util.UUID runId;

  public IngestProgress(String queryName) {
    this.queryName = queryName;
  }

  @Override
  public void batch(long batchId, long validRows, long quarantinedRows) {
    sinkCounts.put(batchId, new long[] {validRows, quarantinedRows});
  }

  @Override
  public void onQueryProgress(QueryProgressEvent event) {
    StreamingQueryProgress p = event.progress();
    if (runId == null || !runId.equals(p.runId())) {
      return;
    }
    long in = p.numInputRows();
    long[] sink = sinkCounts.remove(p.batchId());
    long dropped = 0;
    long droppedAsLate = 0;
    for (StateOperatorProgress op : p.stateOperators()) {
      Long d = op.customMetrics().get("numDroppedDuplicateRows");
      dropped += d == null ? 0 : d;
      droppedAsLate += op.numRowsDroppedByWatermark();
    }
    if (sink != null || in > 0) {
      long v = sink == null ? 0 : sink[0];
      long q = sink == null ? 0 : sink[1];
      consumed.addAndGet(in);
      valid.addAndGet(v);
      quarantined.addAndGet(q);
      duplicates.addAndGet(dropped);
      String line = String.format("ingest batch %d: consumed %,d = valid %,d + quarantined %,d + duplicates dropped %,d (%,d ms)",
          p.batchId(), in, v, q, dropped, p.batchDuration());
      if (in == v + q + dropped && droppedAsLate == 0) {
        LOG.info(line);
      } else {
        unbalancedBatches.incrementAndGet();
        LOG.error(line + " -- DOES NOT BALANCE (rows dropped as late by the dedup state: " + droppedAsLate + ")");
      }
    }
    lastBatchId = p.batchId();
  }

  @Override
  public void onQueryStarted(QueryStartedEvent event) {
    if (runId == null && queryName.equals(event.name())) {
      runId = event.runId();
    }
  }

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {}

  /** Waits (briefly) until the progress of {@code batchId} has been seen: listener events are asynchronous. */
  public void awaitBatch(long batchId) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (lastBatchId < batchId && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }

  public Totals totals() {
    return new Totals(consumed.get(), valid.get(), quarantined.get(), duplicates.get(), unbalancedBatches.get());
  }

  /** Sums over the batches this process ran (a batch replayed after a restart counts again). */
  public record Totals(long consumed, long valid, long quarantined, long duplicatesDropped, long unbalancedBatches) {}
}
