package io.iotpipe.jobs.health;

import io.iotpipe.spark.BatchProgress;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One line per micro-batch with data or transitions: counts, and the size of the state (devices kept, memory). */
public final class DeviceHealthProgress extends BatchProgress<DeviceHealthSink.Counts>
    implements DeviceHealthSink.Listener {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger("io.iotpipe.jobs.health");

  private final AtomicLong transitions = new AtomicLong();
  private final AtomicLong raised = new AtomicLong();
  private final AtomicLong cleared = new AtomicLong();
  private volatile long stateRows;
  private volatile long stateBytes;

  DeviceHealthProgress(String queryName) {
    super(queryName);
  }

  @Override
  public void batch(long batchId, DeviceHealthSink.Counts counts) {
    sinkCounts(batchId, counts);
  }

  @Override
  protected void onBatch(StreamingQueryProgress p, DeviceHealthSink.Counts c) {
    // Spark lists the stateful operators from the plan's top: the health function, then the
    // deduplication's shards.
    if (p.stateOperators().length > 0) {
      StateOperatorProgress op = p.stateOperators()[0];
      stateRows = op.numRowsTotal();
      stateBytes = op.memoryUsedBytes();
    }
    long batchDuplicates = observedCount(p, DeviceHealthJob.DUPLICATES_OBSERVATION);
    if (c == null || (p.numInputRows() == 0 && c.transitions() + c.alarmsRaised() + c.alarmsCleared() == 0)) {
      return;
    }
    transitions.addAndGet(c.transitions());
    raised.addAndGet(c.alarmsRaised());
    cleared.addAndGet(c.alarmsCleared());
    LOG.info(String.format("device-health batch %d: consumed %,d, transitions %,d, alarms raised %,d / cleared %,d, "
            + "late %,d, duplicates %,d; state: %,d devices, %,d KiB (%,d ms)", p.batchId(), p.numInputRows(),
        c.transitions(), c.alarmsRaised(), c.alarmsCleared(), c.late(), batchDuplicates, stateRows, stateBytes / 1024,
        p.batchDuration()));
  }

  public Totals totals() {
    return new Totals(transitions.get(), raised.get(), cleared.get(), stateRows, stateBytes);
  }

  public record Totals(long transitions, long alarmsRaised, long alarmsCleared, long stateDevices, long stateBytes) {}
}
