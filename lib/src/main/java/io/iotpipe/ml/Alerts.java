package io.iotpipe.ml;

import io.iotpipe.delta.TableSpec;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Where anomaly alerts go: the Delta table {@code alerts}, the Cassandra table {@code alerts}
 * (CQL migration V2) and a Kafka topic; and the Delta table {@code score_batches}, which records
 * the model version each micro-batch of the score job used, so that a replayed batch scores with
 * the same model even if another was published in between.
 */
public final class Alerts {
  private Alerts() {}

  public static final String CASSANDRA_TABLE = "alerts";

  public static final StructType SCHEMA = new StructType()
      .add("tenant_id", DataTypes.StringType)
      .add("device_id", DataTypes.StringType)
      .add("event_id", DataTypes.StringType)
      .add("alert_time", DataTypes.TimestampType)
      .add("score", DataTypes.DoubleType)
      .add("threshold", DataTypes.DoubleType)
      .add("model_version", DataTypes.IntegerType)
      .add("top_features", DataTypes.createArrayType(DataTypes.StringType))
      .add("alert_date", DataTypes.DateType);

  public static final TableSpec TABLE = new TableSpec("alerts", SCHEMA, List.of("alert_date")).zOrderBy("tenant_id", "device_id");

  public static final TableSpec SCORE_BATCHES = new TableSpec("score_batches", new StructType()
      .add("query_id", DataTypes.StringType)
      .add("batch_id", DataTypes.LongType)
      .add("model_version", DataTypes.IntegerType), List.of());
}
