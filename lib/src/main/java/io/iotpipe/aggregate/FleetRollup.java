package io.iotpipe.aggregate;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.api.java.function.MapGroupsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Fleet rollups: the windows of all of a tenant's devices merged per (tenant, metric, window).
 * Merging accumulators (sketches included) gives exactly what one accumulator over all the
 * fleet's values would give, without a second pass over the events.
 */
public final class FleetRollup {
  private FleetRollup() {}

  /**
   * Merged rows: tenant_id, metric, window_size_s, window_start_us, devices (rows merged), the
   * statistics columns of {@link WindowOutput} and the merged accumulator.
   */
  public static final StructType MERGED = WindowOutput.withStats(new StructType()
      .add("tenant_id", DataTypes.StringType)
      .add("metric", DataTypes.StringType)
      .add("window_size_s", DataTypes.LongType)
      .add("window_start_us", DataTypes.LongType)
      .add("devices", DataTypes.LongType))
      .add("accumulator", DataTypes.BinaryType);

  /**
   * Merges the accumulators of window rows (of {@link WindowOutput}: FINAL rows give the final
   * fleet windows, UPDATE rows what a micro-batch added to them) per (tenant, metric, window).
   */
  public static Dataset<Row> merge(Dataset<Row> windowRows) {
    Dataset<Row> in = windowRows.select(col("tenant_id"), col("metric"), col("window_size_s"),
        col("window_start_us"), col("accumulator"), col("device_id"));
    return in
        .groupByKey((MapFunction<Row, String>) r -> r.getString(0) + '\u0000' + r.getString(1) + '\u0000'
            + r.getLong(2) + '\u0000' + r.getLong(3), Encoders.STRING())
        .mapGroups((MapGroupsFunction<String, Row, Row>) (key, rows) -> mergeGroup(rows), Encoders.row(MERGED));
  }

  private static Row mergeGroup(Iterator<Row> rows) {
    // Merged in device order: floating-point sums then do not depend on how Spark ordered the group.
    List<Row> all = new ArrayList<>();
    rows.forEachRemaining(all::add);
    all.sort(Comparator.comparing((Row r) -> r.getString(5)));
    WindowAccumulator total = new WindowAccumulator();
    Row first = all.get(0);
    long devices = 0;
    for (Row r : all) {
      total.merge(WindowAccumulator.fromBytes(r.getAs(4)));
      devices++;
    }
    return row(first.getString(0), first.getString(1), first.getLong(2), first.getLong(3), devices, total);
  }

  /** A {@link #MERGED} row. */
  public static Row row(String tenant, String metric, long sizeSeconds, long startMicros, long devices,
      WindowAccumulator a) {
    return WindowOutput.merged(tenant, metric, sizeSeconds, startMicros, devices, a);
  }
}
