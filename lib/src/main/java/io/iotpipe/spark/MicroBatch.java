package io.iotpipe.spark;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * One micro-batch as a {@code foreachBatch} sink handles it: the skeleton every sink of the suite
 * shares. The batch's rows are cached once, so that the micro-batch's plan (Kafka, parse,
 * deduplication, stateful operators) runs once however many writes read it; its counts are one
 * Spark job over the cache; the query's id names the sink's idempotent writes; and the cache is
 * released when the sink is done, whether its writes succeeded or not:
 *
 * <pre>{@code
 * try (MicroBatch b = MicroBatch.cache(batch)) {
 *   Row c = b.counts(count_if(...), count_if(...));
 *   ... the writes, in their order, each reading b.rows() ...
 * }
 * }</pre>
 */
public final class MicroBatch implements AutoCloseable {
  private final Dataset<Row> rows;

  private MicroBatch(Dataset<Row> rows) {
    this.rows = rows;
  }

  /** Caches the rows of a micro-batch (in memory, spilling to disk). */
  public static MicroBatch cache(Dataset<Row> batch) {
    return new MicroBatch(batch.persist(StorageLevel.MEMORY_AND_DISK()));
  }

  /** The batch's rows, cached. */
  public Dataset<Row> rows() {
    return rows;
  }

  /** Aggregates over the batch's rows (counts, say), computed in one Spark job. */
  public Row counts(Column first, Column... more) {
    return rows.agg(first, more).first();
  }

  /**
   * The application id of the job's idempotent Delta writes ({@code DeltaAppend.once}):
   * {@code iotpipe-<job>-<query id>}, the same after a restart from the checkpoint.
   */
  public String appId(String job) {
    return "iotpipe-" + job + "-" + queryId(rows.sparkSession());
  }

  /**
   * The id of the streaming query running the micro-batch on this thread: Spark keeps it in the
   * checkpoint, so it is the same after a restart and new for a new checkpoint.
   */
  public static String queryId(SparkSession spark) {
    return spark.sparkContext().getLocalProperty("sql.streaming.queryId");
  }

  /** Releases the cache. */
  @Override
  public void close() {
    rows.unpersist();
  }
}
