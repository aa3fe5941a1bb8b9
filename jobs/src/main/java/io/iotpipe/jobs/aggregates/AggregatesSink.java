package io.iotpipe.jobs.aggregates;

import static io.iotpipe.aggregate.WindowAggregation.DEVICE_LEVEL;
import static io.iotpipe.aggregate.WindowAggregation.FLEET_LEVEL;
import static io.iotpipe.aggregate.WindowAggregation.KEY;
import static io.iotpipe.aggregate.WindowAggregation.LATE_EVENT_ID;
import static io.iotpipe.aggregate.WindowAggregation.LEVEL;
import static io.iotpipe.aggregate.WindowAggregation.WINDOW_END;
import static io.iotpipe.aggregate.WindowAggregation.WINDOW_SIZE_S;
import static io.iotpipe.aggregate.WindowAggregation.WINDOW_START;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count_if;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.unix_millis;
import static org.apache.spark.sql.functions.when;

import io.iotpipe.aggregate.AggregateTables;
import io.iotpipe.aggregate.AggregationSpec;
import io.iotpipe.aggregate.WindowAggregation;
import io.iotpipe.aggregate.WindowLog;
import io.iotpipe.aggregate.WindowServing;
import io.iotpipe.delta.DeltaAppend;
import io.iotpipe.spark.MicroBatch;
import io.iotpipe.spark.StreamingQueries;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * Writes one micro-batch of the window aggregation ({@link WindowAggregation#stream}, update
 * mode: the windows the batch changed, and its late events), each write exactly once:
 *
 * <ol>
 *   <li>Cassandra {@code device_window_metrics} / {@code fleet_window_metrics}: every changed
 *       window, one row per window with all its metrics (first, so that it is served soonest);
 *   <li>the query's {@link WindowLog}: the same windows, tagged with the batch id;
 *   <li>Delta {@code late_events}: the batch's late events;
 *   <li>when the batch's watermark passes window ends: the final state of each window that
 *       closed, read back from the log (the last state it had), with the longer windows merged
 *       from the smallest, to Delta {@code aggregates} and to Cassandra with {@code final = true}
 *       (a smallest device window's row only gets the flag: it holds these statistics already);
 *       and the open longer windows touched, merged from their final smallest windows so far, to
 *       Cassandra.
 * </ol>
 *
 * <p>Every write is idempotent (Cassandra upserts, Delta appends with the query id and batch id,
 * the log's folder per batch), and the finals of batch N are computed only from what earlier
 * batches logged and finalized: a replayed batch writes the same again.
 */
final class AggregatesSink implements VoidFunction2<Dataset<Row>, Long> {
  private static final long serialVersionUID = 1L;

  /** What a batch wrote, for the progress log and the demo's summary. */
  record Counts(long windowsUpdated, long windowsClosed, long fleetWindowsClosed, long cassandraRows,
      long deltaRows, long servingMs, long logMs, long finalsMs) {}

  /** Receives each batch's counts. */
  interface Listener extends java.io.Serializable {
    void batch(long batchId, Counts counts);
  }

  /** One step of the sink, replaceable in tests to inject a crash between two writes. */
  @FunctionalInterface
  interface Step extends java.io.Serializable {
    void run(long batchId) throws Exception;
  }

  static final Step NO_STEP = batchId -> {};

  private final String checkpoint;
  private final String aggregatesPath;
  private final String lateEventsPath;
  private final WindowLog log;
  private final AggregationSpec spec;
  private final WindowServing serving;
  private final Listener listener;
  private final Step beforeFinals;

  AggregatesSink(String checkpoint, String aggregatesPath, String lateEventsPath, AggregationSpec spec,
      WindowServing serving, Listener listener, Step beforeFinals) {
    this.checkpoint = checkpoint;
    this.aggregatesPath = aggregatesPath;
    this.lateEventsPath = lateEventsPath;
    this.log = new WindowLog(checkpoint);
    this.spec = spec;
    this.serving = serving;
    this.listener = listener;
    this.beforeFinals = beforeFinals;
  }

  @Override
  public void call(Dataset<Row> batch, Long batchId) throws Exception {
    SparkSession spark = batch.sparkSession();
    long watermark = StreamingQueries.batchWatermarkMs(spark, checkpoint, batchId);
    long previous = StreamingQueries.batchWatermarkMs(spark, checkpoint, batchId - 1);
    long started = System.nanoTime();
    // Computed once: the aggregation's state advances once per batch, and three writes read it.
    try (MicroBatch b = MicroBatch.cache(batch)) {
      Dataset<Row> out = b.rows();
      String appId = b.appId("aggregates");
      // The counts' job runs the micro-batch's plan (read, parse, deduplicate, aggregate) into the
      // cache; the writes read the cache. Not an Observation, which waits for Spark's listener bus.
      Row counts = b.counts(count_if(col(LATE_EVENT_ID).isNull()), count_if(col(LATE_EVENT_ID).isNotNull()),
          min(when(col(LATE_EVENT_ID).isNull(), unix_millis(col(WINDOW_END)))),
          max(when(col(LATE_EVENT_ID).isNull(), unix_millis(col(WINDOW_END)))));
      long cassandraRows = serving.write(AggregateTables.windows(out).withColumn(WindowServing.FINAL, lit(false)));
      // Computing the batch and serving its windows: the batch's time to Cassandra.
      long servingMs = (System.nanoTime() - started) / 1_000_000;
      long updated = counts.getLong(0);
      if (updated > 0) {
        log.write(AggregateTables.windows(out), batchId, counts.getLong(2), counts.getLong(3));
      }
      if (counts.getLong(1) > 0) {
        DeltaAppend.once(AggregateTables.lateEvents(out), lateEventsPath, appId, batchId);
      }
      long logMs = (System.nanoTime() - started) / 1_000_000 - servingMs;
      beforeFinals.run(batchId);
      long closed = 0;
      long fleetClosed = 0;
      long deltaRows = 0;
      if (log.hasWindowsEnding(spark, previous, watermark, batchId)) {
        Dataset<Row> finals = finals(spark, previous, watermark, batchId).persist(StorageLevel.MEMORY_AND_DISK());
        try {
          DeltaAppend.once(AggregateTables.finals(finals.where(col(WindowServing.FINAL))), aggregatesPath, appId,
              batchId);
          Row c = finals.agg(count_if(col(WindowServing.FINAL).and(col(LEVEL).equalTo(DEVICE_LEVEL))),
              count_if(col(WindowServing.FINAL).and(col(LEVEL).equalTo(FLEET_LEVEL))),
              count_if(col(WindowServing.FINAL))).first();
          closed = c.getLong(0);
          fleetClosed = c.getLong(1);
          deltaRows = c.getLong(2);
          // The longer windows still open, merged so far, for the next merge: they all end with the
          // longer window that holds the watermark.
          for (Duration size : spec.coarser()) {
            long end = Math.floorDiv(watermark, size.toMillis()) * size.toMillis() + size.toMillis();
            log.writePartials(finals.where(col(WINDOW_SIZE_S).equalTo(size.toSeconds())
                .and(col(WindowServing.FINAL).equalTo(false))), batchId, end, end);
          }
          // The smallest device windows closing now were served with these statistics already.
          Column served = col(LEVEL).equalTo(DEVICE_LEVEL)
              .and(col(WINDOW_SIZE_S).equalTo(spec.finest().toSeconds()));
          cassandraRows += serving.markFinal(finals.where(served));
          cassandraRows += serving.write(finals.where(served.equalTo(false)));
        } finally {
          finals.unpersist();
        }
      }
      log.forget(spark, previous, batchId);
      long finalsMs = (System.nanoTime() - started) / 1_000_000 - servingMs - logMs;
      listener.batch(batchId, new Counts(updated, closed, fleetClosed, cassandraRows, deltaRows, servingMs, logMs,
          finalsMs));
    }
  }

  /**
   * The windows the watermark closed in this batch, those whose smallest windows end in
   * (previous, watermark]: the smallest from their last logged state, and every longer window
   * that holds one of them merged from its final smallest windows so far, final if it ended too
   * (column {@link WindowServing#FINAL}), with the device counts of fleet windows.
   */
  private Dataset<Row> finals(SparkSession spark, long previous, long watermark, long batchId) {
    Timestamp to = new Timestamp(watermark);
    Dataset<Row> closedNow = log.lastStates(spark, previous, watermark, batchId);
    Dataset<Row> all = closedNow;
    for (Duration size : spec.coarser()) {
      // Each longer window that holds a smallest window closing now: its merge so far (logged by
      // an earlier batch) plus the smallest windows closing now. They hold disjoint values.
      Dataset<Row> touched = closedNow.select(WindowAggregation.start(col(WINDOW_START), size).as("_hold")).distinct();
      Dataset<Row> parts = log.lastPartials(spark, size, previous, batchId).unionByName(closedNow)
          .join(touched, WindowAggregation.start(col(WINDOW_START), size).equalTo(col("_hold")), "left_semi");
      all = all.unionByName(WindowAggregation.coarser(parts, size));
    }
    return WindowAggregation.withDevices(all).withColumn(WindowServing.FINAL, col(WINDOW_END).leq(lit(to)));
  }

  private static Column[] concat(Column[] a, Column[] b) {
    Column[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
