package io.iotpipe.delta;

import static org.apache.spark.sql.functions.col;

import io.delta.tables.DeltaTable;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Inserts only the rows whose key a Delta table does not hold yet (a MERGE with an insert clause
 * and no update clause). Writing the same rows twice, from a replayed micro-batch or from a
 * second reading of the same Kafka records, adds nothing the second time.
 */
public final class DeltaMerge {
  private DeltaMerge() {}

  /**
   * @param keys the columns that identify a row
   * @param partitionColumn a partition column among the keys: only the partitions with values in
   *     {@code rows} are read, not the whole table
   */
  public static void insertMissing(Dataset<Row> rows, String path, List<String> keys, Optional<String> partitionColumn) {
    Column match = null;
    for (String k : keys) {
      Column c = col("t." + k).equalTo(col("s." + k));
      match = match == null ? c : match.and(c);
    }
    if (partitionColumn.isPresent()) {
      // Literal values let Delta skip every file of the other partitions.
      Object[] values = rows.select(partitionColumn.get()).distinct().collectAsList().stream()
          .map(r -> r.get(0)).toArray();
      if (values.length == 0) {
        return;
      }
      match = match.and(col("t." + partitionColumn.get()).isin(values));
    }
    DeltaTable.forPath(rows.sparkSession(), path).as("t")
        .merge(rows.as("s"), match)
        .whenNotMatched().insertAll()
        .execute();
  }
}
