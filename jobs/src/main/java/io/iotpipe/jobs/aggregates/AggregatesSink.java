package io.iotpipe.jobs.aggregates;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count_distinct;
import static org.apache.spark.sql.functions.count_if;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.when;

import io.iotpipe.aggregate.AggregateTables;
import io.iotpipe.aggregate.FleetRollup;
import io.iotpipe.aggregate.FleetWindowWriter;
import io.iotpipe.aggregate.WindowAggregation;
import io.iotpipe.aggregate.WindowOutput;
import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.delta.DeltaAppend;
import java.time.Duration;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Writes one micro-batch of window output to both sinks, each exactly once:
 *
 * <ol>
 *   <li>Cassandra {@code device_windows}: every window that changed, upserted (the same key gets
 *       the same values when a batch is replayed);
 *   <li>Delta {@code aggregates}: windows that closed in this batch, device and fleet level, and
 *       Delta {@code late_events}: the batch's late events, both with Delta's idempotent appends;
 *   <li>Cassandra {@code fleet_windows}: see {@link FleetWindowWriter}.
 * </ol>
 */
final class AggregatesSink implements VoidFunction2<Dataset<Row>, Long> {
  private static final long serialVersionUID = 1L;

  /** What a batch wrote, for the progress log and the demo's summary. */
  record Counts(long windowsUpdated, long windowsClosed, long fleetWindowsClosed, long lateEvents, long duplicates,
      long cassandraRows, long deltaRows) {}

  /** Receives each batch's counts. */
  interface Listener extends java.io.Serializable {
    void batch(long batchId, Counts counts);
  }

  /** One step of the sink, replaceable in tests to inject a crash between two writes. */
  @FunctionalInterface
  interface Step extends java.io.Serializable {
    void run(long batchId) throws Exception;
  }

  private final String aggregatesPath;
  private final String lateEventsPath;
  private final CassandraOptions cassandra;
  private final Duration deviceTtl;
  private final long allowedLatenessMicros;
  private final FleetWindowWriter fleet;
  private final Listener listener;
  private final Step beforeFleetWrite;

  AggregatesSink(String aggregatesPath, String lateEventsPath, CassandraOptions cassandra, Duration deviceTtl,
      Duration allowedLateness, FleetWindowWriter fleet, Listener listener, Step beforeFleetWrite) {
    this.aggregatesPath = aggregatesPath;
    this.lateEventsPath = lateEventsPath;
    this.cassandra = cassandra;
    this.deviceTtl = deviceTtl;
    this.allowedLatenessMicros = allowedLateness.toNanos() / 1000;
    this.fleet = fleet;
    this.listener = listener;
    this.beforeFleetWrite = beforeFleetWrite;
  }

  @Override
  public void call(Dataset<Row> batch, Long batchId) throws Exception {
    String queryId = batch.sparkSession().sparkContext().getLocalProperty("sql.streaming.queryId");
    String appId = "iotpipe-aggregates-" + queryId;
    // Computed once: the window state advances once per batch, and four writes read the result.
    Dataset<Row> out = WindowAggregation.readable(batch).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Row c = out.agg(
          count_if(col("kind").equalTo(WindowOutput.UPDATE)),
          count_if(col("kind").equalTo(WindowOutput.FINAL)),
          count_if(col("kind").equalTo(WindowOutput.LATE)),
          count_distinct(when(col("kind").equalTo(WindowOutput.LATE), col("event_id"))),
          count_if(col("kind").equalTo(WindowOutput.DUPLICATE)),
          max(when(col("kind").equalTo(WindowOutput.UPDATE), col("last_us")))).first();
      long updated = c.getLong(0);
      long closed = c.getLong(1);
      long lateRows = c.getLong(2);
      long lateEvents = c.getLong(3);
      long duplicates = c.getLong(4);

      long cassandraRows = 0;
      if (updated + closed > 0) {
        Dataset<Row> serving = out;
        if (!c.isNullAt(5)) {
          // The next watermark is at least this batch's latest event time minus the allowed
          // lateness, so the next micro-batch closes every window that ends before that, and its
          // final row replaces the provisional one. Not writing those provisional rows saves
          // Cassandra a large share of its writes while a job catches up (when most windows a
          // batch touches are behind its latest events), and almost nothing is lost while it is
          // live: such windows are at least the allowed lateness old.
          long closedNext = c.getLong(5) - allowedLatenessMicros;
          serving = out.where(col("kind").notEqual(WindowOutput.UPDATE)
              .or(col("window_start_us").plus(col("window_size_s").multiply(1_000_000L)).gt(closedNext)));
        }
        // Counted while writing (an observation), not by another Spark job over the batch.
        Observation written = new Observation("device_windows_rows_" + queryId.replace('-', '_') + "_" + batchId);
        AggregateTables.writeDeviceWindows(
            serving.observe(written, count_if(col("kind").isin(WindowOutput.UPDATE, WindowOutput.FINAL)).as("rows")),
            cassandra, deviceTtl);
        cassandraRows += (Long) written.getAsJava().get("rows");
      }

      long fleetClosed = 0;
      long deltaRows = 0;
      Dataset<Row> fleetFinals = null;
      if (closed > 0) {
        fleetFinals = FleetRollup.merge(out.where(col("kind").equalTo(WindowOutput.FINAL)))
            .persist(StorageLevel.MEMORY_AND_DISK());
        fleetClosed = fleetFinals.count();
        DeltaAppend.once(AggregateTables.deviceFinals(out).unionByName(AggregateTables.fleetFinals(fleetFinals)),
            aggregatesPath, appId, batchId);
        deltaRows += closed + fleetClosed;
      }
      if (lateRows > 0) {
        DeltaAppend.once(AggregateTables.lateEvents(out), lateEventsPath, appId, batchId);
      }

      beforeFleetWrite.run(batchId);
      if (updated > 0) {
        fleet.applyDeltas(FleetRollup.merge(out.where(col("kind").equalTo(WindowOutput.UPDATE))), queryId, batchId);
      }
      if (fleetFinals != null) {
        fleet.writeFinals(fleetFinals);
        cassandraRows += fleetClosed;
        fleetFinals.unpersist();
      }
      listener.batch(batchId, new Counts(updated, closed, fleetClosed, lateEvents, duplicates, cassandraRows, deltaRows));
    } finally {
      out.unpersist();
    }
  }

  static final Step NO_STEP = batchId -> {};
}
