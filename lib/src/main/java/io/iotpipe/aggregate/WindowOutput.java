package io.iotpipe.aggregate;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The rows the window aggregation emits, one schema for four kinds (times in epoch microseconds,
 * converted to timestamps by {@link WindowAggregation#readable}):
 *
 * <ul>
 *   <li>{@code UPDATE}: a window that changed in this micro-batch, with its statistics so far and,
 *       in {@code accumulator}, only what this micro-batch added (for the fleet rollup);
 *   <li>{@code FINAL}: a window the watermark has passed, with its final statistics and its whole
 *       accumulator; it is never emitted again;
 *   <li>{@code LATE}: an event (one row per metric) that arrived after the watermark passed its
 *       window of {@code window_size_s}; it is in no window of that size;
 *   <li>{@code DUPLICATE}: an event dropped as a duplicate.
 * </ul>
 */
public final class WindowOutput {
  private WindowOutput() {}

  public static final String UPDATE = "UPDATE";
  public static final String FINAL = "FINAL";
  public static final String LATE = "LATE";
  public static final String DUPLICATE = "DUPLICATE";

  public static final StructType SCHEMA = withStats(new StructType()
      .add("kind", DataTypes.StringType)
      .add("tenant_id", DataTypes.StringType)
      .add("device_id", DataTypes.StringType)
      .add("metric", DataTypes.StringType)
      .add("window_size_s", DataTypes.LongType)
      .add("window_start_us", DataTypes.LongType))
      .add("accumulator", DataTypes.BinaryType)
      .add("event_id", DataTypes.StringType)
      .add("event_us", DataTypes.LongType)
      .add("value", DataTypes.DoubleType)
      .add("watermark_ms", DataTypes.LongType);

  /** {@code head} followed by the statistics of a window, in the order {@link #stats} gives them. */
  static StructType withStats(StructType head) {
    return head
        .add("count", DataTypes.LongType)
        .add("sum", DataTypes.DoubleType)
        .add("min", DataTypes.DoubleType)
        .add("max", DataTypes.DoubleType)
        .add("mean", DataTypes.DoubleType)
        .add("stddev", DataTypes.DoubleType)
        .add("first_us", DataTypes.LongType)
        .add("first_value", DataTypes.DoubleType)
        .add("last_us", DataTypes.LongType)
        .add("last_value", DataTypes.DoubleType)
        .add("p50", DataTypes.DoubleType)
        .add("p95", DataTypes.DoubleType)
        .add("p99", DataTypes.DoubleType);
  }

  /** The statistics columns' values of an accumulator. */
  static Object[] stats(WindowAccumulator a) {
    return new Object[] {a.count(), a.sum(), a.min(), a.max(), a.mean(), a.stddev(), a.firstMicros(),
        a.firstValue(), a.lastMicros(), a.lastValue(), a.percentile(0.5), a.percentile(0.95), a.percentile(0.99)};
  }

  private static Row row(Object[] head, Object[] stats, Object... tail) {
    Object[] all = new Object[head.length + stats.length + tail.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(stats, 0, all, head.length, stats.length);
    System.arraycopy(tail, 0, all, head.length + stats.length, tail.length);
    return RowFactory.create(all);
  }

  private static final Object[] NO_STATS = new Object[13];

  static Row window(String kind, String tenant, String device, String metric, long sizeMicros, long startMicros,
      WindowAccumulator stats, byte[] accumulator) {
    return row(new Object[] {kind, tenant, device, metric, sizeMicros / 1_000_000L, startMicros}, stats(stats),
        accumulator, null, null, null, null);
  }

  static Row late(String tenant, String device, String metric, long sizeMicros, long startMicros,
      String eventId, long eventMicros, double value, long watermarkMs) {
    return row(new Object[] {LATE, tenant, device, metric, sizeMicros / 1_000_000L, startMicros}, NO_STATS,
        null, eventId, eventMicros, value, watermarkMs);
  }

  static Row duplicate(String tenant, String device, String eventId, long eventMicros) {
    return row(new Object[] {DUPLICATE, tenant, device, null, null, null}, NO_STATS,
        null, eventId, eventMicros, null, null);
  }

  /** A {@link FleetRollup#MERGED} row. */
  static Row merged(String tenant, String metric, long sizeSeconds, long startMicros, long devices,
      WindowAccumulator a) {
    return row(new Object[] {tenant, metric, sizeSeconds, startMicros, devices}, stats(a), (Object) a.toBytes());
  }
}
