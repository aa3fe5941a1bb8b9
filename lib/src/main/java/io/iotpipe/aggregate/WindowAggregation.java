package io.iotpipe.aggregate;

import static io.iotpipe.event.EventFields.DEVICE_ID;
import static io.iotpipe.event.EventFields.EVENT_ID;
import static io.iotpipe.event.EventFields.EVENT_TIME;
import static io.iotpipe.event.EventFields.KAFKA_OFFSET;
import static io.iotpipe.event.EventFields.KAFKA_PARTITION;
import static io.iotpipe.event.EventFields.METRICS;
import static io.iotpipe.event.EventFields.TENANT_ID;
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.timestamp_micros;
import static org.apache.spark.sql.functions.timestamp_millis;
import static org.apache.spark.sql.functions.unix_micros;
import static org.apache.spark.sql.functions.unix_millis;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.window;

import io.iotpipe.event.EventDedup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

/**
 * Tumbling event-time windows of every metric per (tenant, device) and per tenant (the fleet):
 * the one computation behind the streaming aggregates job ({@link #stream}) and the batch
 * recomputations ({@link #batch}).
 *
 * <p>The smallest windows are Spark's own streaming aggregation: {@code groupBy} on an event-time
 * {@code window} with built-in aggregate functions ({@link WindowStats#ofValues}) and a watermark,
 * so Spark aggregates each micro-batch's rows per task before the shuffle and keeps and writes
 * state per window key, only for the keys the batch changed (in update mode, each changed window
 * comes out with its statistics so far). Longer windows are merged from the smallest
 * ({@link #coarser}: sums, extremes, moments and sketches merge exactly), not kept in state a
 * second time.
 *
 * <p><b>Late events.</b> An event whose smallest window the watermark has passed is late, and is
 * in no window of any size (the longer ones being merges of the smallest). Spark's aggregation
 * drops such rows without a trace, and every late event must be recorded; so each is re-timed
 * just past the watermark into a group of its own, keyed by its id ({@link #LATE_EVENT_ID}), and
 * comes out in the same micro-batch as one row per metric, with the time, value and window it
 * missed and the watermark it missed them by.
 */
public final class WindowAggregation {
  private WindowAggregation() {}

  public static final String LEVEL = "level";
  public static final String DEVICE_LEVEL = "device";
  public static final String FLEET_LEVEL = "fleet";
  public static final String METRIC = "metric";
  public static final String WINDOW_SIZE_S = "window_size_s";
  public static final String WINDOW_START = "window_start";
  public static final String WINDOW_END = "window_end";
  /** Devices with values in a fleet window (1 for a device window); see {@link #withDevices}. */
  public static final String DEVICES = "devices";
  /** On a stream's output row: the id of the late event it stands for, null for a window. */
  public static final String LATE_EVENT_ID = "late_event_id";
  /** On a stream's output row: the watermark of the micro-batch (epoch ms). */
  public static final String WATERMARK_MS = EventDedup.WATERMARK_MS;

  /** The key columns of a window row, in order. */
  public static final List<String> KEY = List.of(LEVEL, TENANT_ID, DEVICE_ID, METRIC, WINDOW_SIZE_S, WINDOW_START);

  private static final String LATE = "_late";
  private static final String VALUE = "_value";
  private static final String WINDOW = "_window";
  private static final String WINDOW_TIME = "_window_time";

  /**
   * The smallest windows of a stream of deduplicated valid events ({@link EventDedup} output
   * without duplicates: tenant_id, device_id, event_id, event_time, metrics, kafka_partition,
   * kafka_offset, watermark_ms), for a query in update mode: per micro-batch, every window it
   * changed with its statistics so far, and every late event (see the class comment).
   */
  public static Dataset<Row> stream(Dataset<Row> deduplicated, AggregationSpec spec) {
    Dataset<Row> timed = deduplicated
        .withColumn(LATE, isLate(spec))
        .withColumn(WINDOW_TIME, when(col(LATE), timestamp_millis(col(WATERMARK_MS).plus(1))).otherwise(col(EVENT_TIME)))
        // Defined again after the deduplication, which passes no watermark on to later operators.
        .withWatermark(WINDOW_TIME, spec.allowedLateness().toMillis() + " milliseconds");
    return smallest(timed, spec.finest(), true);
  }

  /**
   * Whether an event row (with event_time and watermark_ms) is late: the watermark has passed the
   * end of its smallest window.
   */
  public static Column isLate(AggregationSpec spec) {
    Column windowEnd = unix_millis(start(col(EVENT_TIME), spec.finest())).plus(spec.finest().toMillis());
    return col(WATERMARK_MS).gt(0).and(windowEnd.leq(col(WATERMARK_MS)));
  }

  /**
   * Every window of every size over a finite set of valid, deduplicated events (the events
   * table), all final: the rows of {@link #KEY} with the statistics of {@link WindowStats} and
   * {@link #DEVICES}. Equals the stream's final windows over the same events minus those the
   * stream found late.
   */
  public static Dataset<Row> batch(Dataset<Row> events, AggregationSpec spec) {
    Dataset<Row> timed = events.withColumn(LATE, lit(false)).withColumn(WINDOW_TIME, col(EVENT_TIME))
        .withColumn(WATERMARK_MS, lit(0L));
    Dataset<Row> finest = smallest(timed, spec.finest(), false);
    return withDevices(withCoarser(finest, spec));
  }

  /** The smallest windows followed by the windows of every longer size merged from them. */
  public static Dataset<Row> withCoarser(Dataset<Row> finest, AggregationSpec spec) {
    Dataset<Row> all = finest.select(windowColumns());
    for (Duration size : spec.coarser()) {
      all = all.unionByName(coarser(finest, size));
    }
    return all;
  }

  /**
   * Windows of {@code size} merged from shorter windows (rows of {@link #KEY} and the statistics),
   * one per key: exact for counts, sums, extremes, moments, first and last, and percentiles (the
   * sketches merge).
   */
  public static Dataset<Row> coarser(Dataset<Row> windows, Duration size) {
    Column[] merged = WindowStats.ofWindows();
    return windows.withColumn(WINDOW, start(col(WINDOW_START), size))
        .groupBy(col(LEVEL), col(TENANT_ID), col(DEVICE_ID), col(METRIC), col(WINDOW))
        .agg(merged[0], Arrays.copyOfRange(merged, 1, merged.length))
        .select(concat(new Column[] {col(LEVEL), col(TENANT_ID), col(DEVICE_ID), col(METRIC),
            lit(size.toSeconds()).as(WINDOW_SIZE_S), col(WINDOW).as(WINDOW_START),
            end(col(WINDOW), size).as(WINDOW_END)}, WindowStats.finish()));
  }

  /**
   * Sets {@link #DEVICES} of fleet windows to the number of devices with a window of the same
   * tenant, metric and time in {@code windows} (final windows, device and fleet level), and of
   * device windows to 1.
   */
  public static Dataset<Row> withDevices(Dataset<Row> windows) {
    // Device windows have a device id, fleet windows none: a count of ids over the window's rows.
    WindowSpec sameWindow = Window.partitionBy(col(TENANT_ID), col(METRIC), col(WINDOW_SIZE_S), col(WINDOW_START));
    return windows.select(concat(windowColumns(), new Column[] {
        when(col(LEVEL).equalTo(DEVICE_LEVEL), lit(1L)).otherwise(count(col(DEVICE_ID)).over(sameWindow)).as(DEVICES)}));
  }

  /** The columns of a window row: {@link #KEY}, window_end and the statistics. */
  public static Column[] windowColumns() {
    List<Column> c = new ArrayList<>();
    for (String k : KEY) {
      c.add(col(k));
    }
    c.add(col(WINDOW_END));
    c.addAll(Arrays.asList(WindowStats.columns()));
    return c.toArray(Column[]::new);
  }

  /**
   * The smallest windows of event rows with {@link #LATE}, {@link #WINDOW_TIME} and
   * watermark_ms: one row per event, metric and level into the aggregation.
   */
  private static Dataset<Row> smallest(Dataset<Row> events, Duration size, boolean stream) {
    Dataset<Row> values = events
        .select(col(TENANT_ID), col(DEVICE_ID), col(EVENT_ID), col(EVENT_TIME), col(KAFKA_PARTITION),
            col(KAFKA_OFFSET), col(WATERMARK_MS), col(LATE), col(WINDOW_TIME),
            explode(col(METRICS)).as(new String[] {METRIC, VALUE}))
        // A late event is recorded once per metric, at device level only.
        .withColumn(LEVEL, explode(when(col(LATE), array(lit(DEVICE_LEVEL)))
            .otherwise(array(lit(DEVICE_LEVEL), lit(FLEET_LEVEL)))))
        .withColumn(DEVICE_ID, when(col(LEVEL).equalTo(DEVICE_LEVEL), col(DEVICE_ID)));
    Column[] stats = WindowStats.ofValues(col(VALUE), col(EVENT_TIME), col(KAFKA_PARTITION), col(KAFKA_OFFSET));
    Column[] aggregates = Arrays.copyOf(stats, stats.length + 1);
    aggregates[stats.length] = max(col(WATERMARK_MS)).as(WATERMARK_MS);
    Dataset<Row> grouped = values
        .groupBy(col(LEVEL), col(TENANT_ID), col(DEVICE_ID), col(METRIC),
            window(col(WINDOW_TIME), size.toSeconds() + " seconds").as(WINDOW),
            when(col(LATE), col(EVENT_ID)).as(LATE_EVENT_ID))
        .agg(aggregates[0], Arrays.copyOfRange(aggregates, 1, aggregates.length));
    // A late event's row stands for the window it missed, the one of its own time.
    Column windowStart = when(col(LATE_EVENT_ID).isNull(), col(WINDOW).getField("start"))
        .otherwise(start(col("_first").getField("t"), size));
    Dataset<Row> out = grouped.withColumn(WINDOW_START, windowStart)
        .withColumn(WINDOW_END, end(col(WINDOW_START), size))
        .select(concat(new Column[] {col(LEVEL), col(TENANT_ID), col(DEVICE_ID), col(METRIC),
            lit(size.toSeconds()).as(WINDOW_SIZE_S), col(WINDOW_START), col(WINDOW_END)},
            concat(WindowStats.finish(), new Column[] {col(WATERMARK_MS), col(LATE_EVENT_ID)})));
    return stream ? out : out.drop(WATERMARK_MS, LATE_EVENT_ID);
  }

  /** The start of the window of {@code size} that holds {@code time} (windows start at the epoch). */
  public static Column start(Column time, Duration size) {
    long us = size.toSeconds() * 1_000_000L;
    return timestamp_micros(floor(unix_micros(time).divide(us)).cast("long").multiply(us));
  }

  private static Column end(Column start, Duration size) {
    return timestamp_micros(unix_micros(start).plus(size.toSeconds() * 1_000_000L));
  }

  private static Column[] concat(Column[] a, Column[] b) {
    Column[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
