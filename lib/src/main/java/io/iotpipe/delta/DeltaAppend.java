package io.iotpipe.delta;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Appends a micro-batch to a Delta table exactly once: Delta records (appId, version) in the
 * same commit as the rows and skips a write whose version it has already seen for that appId.
 * A micro-batch replayed after a crash therefore adds nothing the second time.
 */
public final class DeltaAppend {
  private DeltaAppend() {}

  /**
   * @param appId stable for one streaming query across restarts (its checkpointed id): a new
   *     checkpoint starts batch ids at 0 again and must not be mistaken for a replay
   * @param version the micro-batch id
   */
  public static void once(Dataset<Row> rows, String path, String appId, long version) {
    rows.write()
        .format("delta")
        .mode("append")
        .option("txnAppId", appId)
        .option("txnVersion", version)
        .save(path);
  }
}
