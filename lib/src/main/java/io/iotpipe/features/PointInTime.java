package io.iotpipe.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.last;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;

import java.time.Duration;
import java.util.Arrays;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataType;

/**
 * Point-in-time ("as of") joins for training sets: each labelled row gets the latest feature row
 * of its device at or before its timestamp, and none older than a maximum age. Never a later one:
 * a feature row computed after the label's time would leak the future into training.
 */
public final class PointInTime {
  private PointInTime() {}

  /**
   * @param labels rows with tenant_id, device_id, {@code labelTime} and any other columns (kept;
   *     names other than tenant_id and device_id must differ from the feature rows')
   * @param features offline feature rows (tenant_id, device_id, feature_time, ...)
   * @return one row per label that has a feature row within {@code maxAge} before it: the label's
   *     columns and the feature row's columns (tenant_id and device_id once)
   */
  public static Dataset<Row> join(Dataset<Row> labels, String labelTime, Dataset<Row> features, Duration maxAge) {
    String[] featureCols = Arrays.stream(features.columns())
        .filter(c -> !c.equals("tenant_id") && !c.equals("device_id")).toArray(String[]::new);
    String[] labelCols = Arrays.stream(labels.columns())
        .filter(c -> !c.equals("tenant_id") && !c.equals("device_id")).toArray(String[]::new);
    // Labels and features in one time line per device; at equal times the feature row sorts
    // first, so that a feature row at exactly the label's time counts as "at or before".
    DataType labelType = labels.select(struct(cols(labelCols))).schema().fields()[0].dataType();
    DataType featureType = features.select(struct(cols(featureCols))).schema().fields()[0].dataType();
    Dataset<Row> l = labels.select(col("tenant_id"), col("device_id"), col(labelTime).as("_t"), lit(1).as("_is_label"),
        struct(cols(labelCols)).as("_label"), lit(null).cast(featureType).as("_feature"));
    Dataset<Row> f = features.select(col("tenant_id"), col("device_id"), col("feature_time").as("_t"),
        lit(0).as("_is_label"), lit(null).cast(labelType).as("_label"), struct(cols(featureCols)).as("_feature"));
    WindowSpec upToHere = Window.partitionBy("tenant_id", "device_id").orderBy(col("_t"), col("_is_label"))
        .rowsBetween(Window.unboundedPreceding(), Window.currentRow());
    Dataset<Row> asOf = l.unionByName(f)
        .withColumn("_asof", last(col("_feature"), true).over(upToHere))
        .where(col("_is_label").equalTo(1).and(col("_asof").isNotNull())
            .and(col("_asof.feature_time").geq(col("_t").minus(lit(maxAge)))));
    Column[] out = new Column[2 + labelCols.length + featureCols.length];
    out[0] = col("tenant_id");
    out[1] = col("device_id");
    int i = 2;
    for (String c : labelCols) {
      out[i++] = col("_label." + c).as(c);
    }
    for (String c : featureCols) {
      out[i++] = col("_asof." + c).as(c);
    }
    return asOf.select(out);
  }

  private static Column[] cols(String[] names) {
    return Arrays.stream(names).map(n -> col(n)).toArray(Column[]::new);
  }
}
