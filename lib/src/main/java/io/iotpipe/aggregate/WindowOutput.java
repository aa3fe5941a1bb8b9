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

  public static final StructType SCHEMA = new StructType()
      .add("kind", DataTypes.StringType)
      .add("tenant_id", DataTypes.StringType)
      .add("device_id", DataTypes.StringType)
      .add("metric", DataTypes.StringType)
      .add("window_size_s", DataTypes.LongType)
      .add("window_start_us", DataTypes.LongType)
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
      .add("p99", DataTypes.DoubleType)
      .add("accumulator", DataTypes.BinaryType)
      .add("event_id", DataTypes.StringType)
      .add("event_us", DataTypes.LongType)
      .add("value", DataTypes.DoubleType)
      .add("watermark_ms", DataTypes.LongType);

  static Row window(String kind, String tenant, String device, String metric, long sizeMicros, long startMicros,
      WindowAccumulator stats, byte[] accumulator) {
    return RowFactory.create(kind, tenant, device, metric, sizeMicros / 1_000_000L, startMicros,
        stats.count(), stats.sum(), stats.min(), stats.max(), stats.mean(), stats.stddev(),
        stats.firstMicros(), stats.firstValue(), stats.lastMicros(), stats.lastValue(),
        stats.percentile(0.5), stats.percentile(0.95), stats.percentile(0.99), accumulator,
        null, null, null, null);
  }

  static Row late(String tenant, String device, String metric, long sizeMicros, long startMicros,
      String eventId, long eventMicros, double value, long watermarkMs) {
    return RowFactory.create(LATE, tenant, device, metric, sizeMicros / 1_000_000L, startMicros,
        null, null, null, null, null, null, null, null, null, null, null, null, null, null,
        eventId, eventMicros, value, watermarkMs);
  }

  static Row duplicate(String tenant, String device, String eventId, long eventMicros) {
    return RowFactory.create(DUPLICATE, tenant, device, null, null, null,
        null, null, null, null, null, null, null, null, null, null, null, null, null, null,
        eventId, eventMicros, null, null);
  }
}
