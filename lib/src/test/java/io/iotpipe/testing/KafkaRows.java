package io.iotpipe.testing;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/** Batch DataFrames shaped like the Kafka source's output, for testing transforms without Kafka. */
public final class KafkaRows {
  public static final StructType SCHEMA = StructType.fromDDL(
      "key BINARY, value BINARY, topic STRING, partition INT, offset BIGINT, timestamp TIMESTAMP, timestampType INT");

  private final List<Row> rows = new ArrayList<>();

  public KafkaRows add(String value, Instant kafkaTimestamp) {
    return add(value == null ? null : value.getBytes(StandardCharsets.UTF_8), kafkaTimestamp);
  }

  /** Adds a record on partition 0 at the next offset. */
  public KafkaRows add(byte[] value, Instant kafkaTimestamp) {
    rows.add(RowFactory.create("k".getBytes(StandardCharsets.UTF_8), value, "telemetry", 0,
        (long) rows.size(), Timestamp.from(kafkaTimestamp), 0));
    return this;
  }

  public Dataset<Row> toDataFrame() {
    return TestSpark.session().createDataFrame(rows, SCHEMA);
  }
}
