package io.iotpipe.jobs.aggregates;

import io.iotpipe.spark.BatchProgress;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per micro-batch of the aggregates query, and totals. The counts of records, valid
 * events, duplicates and late events come from the pipeline's observations; it checks that Spark
 * itself dropped no row as behind the watermark (every late event must reach late_events instead).
 */
public final class AggregatesProgress extends BatchProgress<AggregatesSink.Counts> implements AggregatesSink.Listener {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger("io.iotpipe.jobs.aggregates");

  private final AtomicLong consumed = new AtomicLong();
  private final AtomicLong valid = new AtomicLong();
  private final AtomicLong windowsClosed = new AtomicLong();
  private final AtomicLong fleetWindowsClosed = new AtomicLong();
  private final AtomicLong lateEvents = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong cassandraRows = new AtomicLong();
  private final AtomicLong deltaRows = new AtomicLong();
  private final AtomicLong droppedByWatermark = new AtomicLong();

  AggregatesProgress(String queryName) {
    super(queryName);
  }

  @Override
  public void batch(long batchId, AggregatesSink.Counts counts) {
    sinkCounts(batchId, counts);
  }

  @Override
  protected void onBatch(StreamingQueryProgress p, AggregatesSink.Counts c) {
    long dropped = droppedByWatermark(p);
    consumed.addAndGet(p.numInputRows());
    droppedByWatermark.addAndGet(dropped);
    Row input = p.observedMetrics().get("aggregates_input");
    long batchValid = input == null ? 0 : input.getLong(0);
    long batchDuplicates = observedCount(p, "aggregates_duplicates");
    long batchLate = observedCount(p, "aggregates_late");
    valid.addAndGet(batchValid);
    duplicates.addAndGet(batchDuplicates);
    lateEvents.addAndGet(batchLate);
    if (c != null) {
      windowsClosed.addAndGet(c.windowsClosed());
      fleetWindowsClosed.addAndGet(c.fleetWindowsClosed());
      cassandraRows.addAndGet(c.cassandraRows());
      deltaRows.addAndGet(c.deltaRows());
    }
    if (p.numInputRows() == 0 && dropped == 0 && (c == null || c.windowsClosed() == 0)) {
      return;
    }
    String line = String.format("aggregates batch %d: consumed %,d (%,d valid, %,d duplicates, %,d late), "
            + "windows updated %,d, closed %,d + fleet %,d, Cassandra rows %,d, Delta rows %,d (%,d ms: %s)", p.batchId(),
        p.numInputRows(), batchValid, batchDuplicates, batchLate, c == null ? 0 : c.windowsUpdated(),
        c == null ? 0 : c.windowsClosed(), c == null ? 0 : c.fleetWindowsClosed(), c == null ? 0 : c.cassandraRows(),
        c == null ? 0 : c.deltaRows(), p.batchDuration(), c == null ? "-" : String.format(
            "compute and serve %,d, log and late %,d, finals %,d", c.servingMs(), c.logMs(), c.finalsMs()));
    if (dropped == 0) {
      LOG.info(line);
    } else {
      LOG.error(line + " -- Spark dropped " + dropped + " rows as behind the watermark; they are not in late_events");
    }
  }

  public Totals totals() {
    return new Totals(consumed.get(), valid.get(), windowsClosed.get(), fleetWindowsClosed.get(), lateEvents.get(),
        duplicates.get(), cassandraRows.get(), deltaRows.get(), droppedByWatermark.get());
  }

  /** Sums over the batches this process ran. */
  public record Totals(long consumed, long valid, long windowsClosed, long fleetWindowsClosed, long lateEvents,
      long duplicates, long windowsWrittenCassandra, long windowsWrittenDelta, long droppedByWatermark) {}
}
