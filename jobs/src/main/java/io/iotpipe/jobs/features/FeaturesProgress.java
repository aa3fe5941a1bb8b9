package io.iotpipe.jobs.features;

import io.iotpipe.spark.BatchProgress;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One line per micro-batch of the features query, and totals. */
public final class FeaturesProgress extends BatchProgress<FeaturesSink.Counts> implements FeaturesSink.Listener {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger("io.iotpipe.jobs.features");

  private final AtomicLong consumed = new AtomicLong();
  private final AtomicLong features = new AtomicLong();
  private final AtomicLong late = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong droppedByWatermark = new AtomicLong();

  FeaturesProgress(String queryName) {
    super(queryName);
  }

  @Override
  public void batch(long batchId, FeaturesSink.Counts counts) {
    sinkCounts(batchId, counts);
  }

  @Override
  protected void onBatch(StreamingQueryProgress p, FeaturesSink.Counts c) {
    long dropped = droppedByWatermark(p);
    consumed.addAndGet(p.numInputRows());
    droppedByWatermark.addAndGet(dropped);
    long batchDuplicates = observedCount(p, FeaturesJob.DUPLICATES_OBSERVATION);
    duplicates.addAndGet(batchDuplicates);
    if (c == null) {
      return;
    }
    features.addAndGet(c.features());
    late.addAndGet(c.late());
    String line = String.format("features batch %d: consumed %,d, feature rows %,d (%,d devices online), late %,d, "
        + "duplicates %,d (%,d ms)", p.batchId(), p.numInputRows(), c.features(), c.devices(), c.late(),
        batchDuplicates, p.batchDuration());
    if (dropped == 0) {
      LOG.info(line);
    } else {
      LOG.error(line + " -- Spark dropped " + dropped + " rows as behind the watermark");
    }
  }

  public Totals totals() {
    return new Totals(consumed.get(), features.get(), late.get(), duplicates.get(), droppedByWatermark.get());
  }

  /** Sums over the batches this process ran. */
  public record Totals(long consumed, long features, long late, long duplicates, long droppedByWatermark) {}
}
