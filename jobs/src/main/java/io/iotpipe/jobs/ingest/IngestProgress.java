package io.iotpipe.jobs.ingest;

import io.iotpipe.spark.BatchProgress;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accounts for every record of every micro-batch of the ingest query: consumed = valid +
 * quarantined + duplicates dropped. The sink reports valid and quarantined counts; Spark's
 * progress reports what the batch consumed and, observed, what the deduplication dropped. One line per
 * batch, and an error line if the books do not balance.
 */
public final class IngestProgress extends BatchProgress<long[]> implements IngestSink.Counts {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger("io.iotpipe.jobs.ingest");

  private final AtomicLong consumed = new AtomicLong();
  private final AtomicLong valid = new AtomicLong();
  private final AtomicLong quarantined = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong unbalancedBatches = new AtomicLong();

  public IngestProgress(String queryName) {
    super(queryName);
  }

  @Override
  public void batch(long batchId, long validRows, long quarantinedRows) {
    sinkCounts(batchId, new long[] {validRows, quarantinedRows});
  }

  @Override
  protected void onBatch(StreamingQueryProgress p, long[] sink) {
    long in = p.numInputRows();
    if (sink == null && in == 0) {
      return;
    }
    long v = sink == null ? 0 : sink[0];
    long q = sink == null ? 0 : sink[1];
    long dropped = observedCount(p, "ingest_dedup");
    long droppedAsLate = droppedByWatermark(p);
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

  public Totals totals() {
    return new Totals(consumed.get(), valid.get(), quarantined.get(), duplicates.get(), unbalancedBatches.get());
  }

  /** Sums over the batches this process ran (a batch replayed after a restart counts again). */
  public record Totals(long consumed, long valid, long quarantined, long duplicatesDropped, long unbalancedBatches) {}
}
