package io.iotpipe.spark;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
 *
 * <p>The counts come first: their job runs the micro-batch's plan and fills the cache, so that
 * the end of the first {@link #counts} call splits the batch's time into computing it and
 * writing it, which {@link Observer}s receive.
 */
public final class MicroBatch implements AutoCloseable {
  /** Receives the phases of every micro-batch a sink of this JVM handled (epoch ms). */
  @FunctionalInterface
  public interface Observer {
    /**
     * @param computedMs when the first {@link #counts} ended (the plan had run), or -1 if there
     *     was none
     */
    void batch(String queryId, long batchId, long startMs, long computedMs, long endMs);
  }

  private static final List<Observer> OBSERVERS = new CopyOnWriteArrayList<>();

  /** Adds an observer of every micro-batch that ends from now on in this JVM. */
  public static void observe(Observer o) {
    OBSERVERS.add(o);
  }

  private final Dataset<Row> rows;
  private final long startMs = System.currentTimeMillis();
  private long computedMs = -1;

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
    Row counts = rows.agg(first, more).first();
    if (computedMs < 0) {
      computedMs = System.currentTimeMillis();
    }
    return counts;
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

  /** Releases the cache, and tells the observers the batch's phases. */
  @Override
  public void close() {
    rows.unpersist();
    if (!OBSERVERS.isEmpty()) {
      SparkSession spark = rows.sparkSession();
      // Set by Spark on the thread that runs a micro-batch (MicroBatchExecution.BATCH_ID_KEY).
      String batchId = spark.sparkContext().getLocalProperty("streaming.sql.batchId");
      long endMs = System.currentTimeMillis();
      for (Observer o : OBSERVERS) {
        o.batch(queryId(spark), batchId == null ? -1 : Long.parseLong(batchId), startMs, computedMs, endMs);
      }
    }
  }
}
