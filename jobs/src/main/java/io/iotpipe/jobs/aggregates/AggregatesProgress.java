package io.iotpipe.jobs.aggregates;

import io.iotpipe.spark.BatchProgress;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per micro-batch of the aggregates query, and totals. Checks that Spark itself dropped
 * no row as behind the watermark (every late event must reach late_events instead).
 */
public final class AggregatesProgress extends BatchProgress<AggregatesSink.Counts> implements AggregatesSink.Listener {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger("io.iotpipe.jobs.aggregates");

  private final AtomicLong consumed = new AtomicLong();
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
    if (c == null) {
      if (p.numInputRows() > 0 || dropped > 0) {
        LOG.info("aggregates batch {}: consumed {}, nothing to write", p.batchId(), p.numInputRows());
      }
      return;
    }
    windowsClosed.addAndGet(c.windowsClosed());
    fleetWindowsClosed.addAndGet(c.fleetWindowsClosed());
    lateEvents.addAndGet(c.lateEvents());
    duplicates.addAndGet(c.duplicates());
    cassandraRows.addAndGet(c.cassandraRows());
    deltaRows.addAndGet(c.deltaRows());
    Row observed = p.observedMetrics().get("aggregates_input");
    String line = String.format("aggregates batch %d: consumed %,d (%s), windows updated %,d, closed %,d + fleet %,d, "
            + "late events %,d, duplicates %,d, Cassandra rows %,d (%,d ms)", p.batchId(), p.numInputRows(),
        observed == null ? "?" : String.format("%,d valid", observed.getLong(0)), c.windowsUpdated(),
        c.windowsClosed(), c.fleetWindowsClosed(), c.lateEvents(), c.duplicates(), c.cassandraRows(),
        p.batchDuration());
    if (dropped == 0) {
      LOG.info(line);
    } else {
      LOG.error(line + " -- Spark dropped " + dropped + " rows as behind the watermark; they are not in late_events");
    }
  }

  public Totals totals() {
    return new Totals(consumed.get(), windowsClosed.get(), fleetWindowsClosed.get(), lateEvents.get(),
        duplicates.get(), cassandraRows.get(), deltaRows.get(), droppedByWatermark.get());
  }

  /** Sums over the batches this process ran. */
  public record Totals(long consumed, long windowsClosed, long fleetWindowsClosed, long lateEvents, long duplicates,
      long windowsWrittenCassandra, long windowsWrittenDelta, long droppedByWatermark) {}
}
