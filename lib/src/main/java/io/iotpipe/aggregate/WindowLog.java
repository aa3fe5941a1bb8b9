package io.iotpipe.aggregate;

import static io.iotpipe.aggregate.WindowAggregation.KEY;
import static io.iotpipe.aggregate.WindowAggregation.WINDOW_END;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.struct;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The aggregates job's record of its open windows, under the query's checkpoint, one Parquet
 * folder per micro-batch and kind, named {@code <kind>-<batch id>-<earliest>-<latest window end>}
 * (epoch ms):
 *
 * <ul>
 *   <li>{@code batch}: the smallest windows the batch changed, with their statistics so far. In
 *       update mode Spark's aggregation emits a window whenever it changes and drops it from its
 *       state once the watermark passes it without emitting it again, so a window's final
 *       statistics are the last ones logged for it;
 *   <li>{@code partials}: the open longer windows as merged so far from their closed smallest
 *       windows, so that the next merge adds only the smallest windows that closed since.
 * </ul>
 *
 * <p>Plain Parquet, not a Delta table: it is written on every micro-batch's path (a Delta commit
 * costs about three times a Parquet write here), read only when windows close, and, like the
 * rest of the checkpoint, private to the query. A batch's folder is written whole again when the
 * batch is replayed, and counts only once it has Spark's {@code _SUCCESS} marker.
 */
public final class WindowLog implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final String BATCH = "batch_id";
  private static final String SUCCESS = "_SUCCESS";

  private final String dir;

  public WindowLog(String checkpoint) {
    this.dir = new Path(checkpoint, "window-log").toString();
  }

  private static final String CHANGED = "batch";
  private static final String PARTIALS = "partials";

  /** Logs the windows of micro-batch {@code batchId}, which end from {@code minEndMs} to {@code maxEndMs}. */
  public void write(Dataset<Row> windows, long batchId, long minEndMs, long maxEndMs) {
    write(CHANGED, windows, batchId, minEndMs, maxEndMs);
  }

  /** Logs the open longer windows merged by micro-batch {@code batchId}, which end from {@code minEndMs} to {@code maxEndMs}. */
  public void writePartials(Dataset<Row> windows, long batchId, long minEndMs, long maxEndMs) {
    write(PARTIALS, windows, batchId, minEndMs, maxEndMs);
  }

  private void write(String kind, Dataset<Row> windows, long batchId, long minEndMs, long maxEndMs) {
    windows.select(WindowAggregation.windowColumns()).withColumn(BATCH, lit(batchId)).coalesce(1)
        .write().mode("overwrite")
        .parquet(new Path(dir, kind + "-" + batchId + "-" + minEndMs + "-" + maxEndMs).toString());
  }

  /** Whether a micro-batch before {@code beforeBatch} logged a window that ends in (fromMs, toMs]. */
  public boolean hasWindowsEnding(SparkSession spark, long fromMs, long toMs, long beforeBatch) {
    return folders(spark).stream().anyMatch(f -> f.kind().equals(CHANGED) && f.batchId() < beforeBatch
        && f.minEndMs() <= toMs && f.maxEndMs() > fromMs);
  }

  /**
   * The last merge, by a micro-batch before {@code beforeBatch}, of every open window of
   * {@code size} that ends after {@code fromMs}: rows of {@link WindowAggregation#windowColumns}.
   */
  public Dataset<Row> lastPartials(SparkSession spark, java.time.Duration size, long fromMs, long beforeBatch) {
    return last(spark, PARTIALS, fromMs, Long.MAX_VALUE, beforeBatch)
        .where(col(WindowAggregation.WINDOW_SIZE_S).equalTo(size.toSeconds()));
  }

  /**
   * The last logged state, by micro-batch before {@code beforeBatch}, of every window that ends in
   * (fromMs, toMs]: rows of {@link WindowAggregation#windowColumns}.
   */
  public Dataset<Row> lastStates(SparkSession spark, long fromMs, long toMs, long beforeBatch) {
    return last(spark, CHANGED, fromMs, toMs, beforeBatch);
  }

  private Dataset<Row> last(SparkSession spark, String kind, long fromMs, long toMs, long beforeBatch) {
    List<String> paths = new ArrayList<>();
    for (Folder f : folders(spark)) {
      if (f.kind().equals(kind) && f.batchId() < beforeBatch && f.minEndMs() <= toMs && f.maxEndMs() > fromMs) {
        paths.add(f.path().toString());
      }
    }
    Column[] key = KEY.stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
    Column[] stats = WindowStats.columns();
    Column[] state = Arrays.copyOf(new Column[] {col(WINDOW_END)}, 1 + stats.length);
    System.arraycopy(stats, 0, state, 1, stats.length);
    if (paths.isEmpty()) {
      return spark.createDataFrame(List.of(), AggregateTables.WINDOW_ROW_SCHEMA).select(WindowAggregation.windowColumns());
    }
    Column[] out = Arrays.copyOf(key, key.length + 1);
    out[key.length] = col("_last.*");
    return spark.read().schema(AggregateTables.WINDOW_ROW_SCHEMA.add(BATCH, "long")).parquet(paths.toArray(String[]::new))
        .where(col(WINDOW_END).gt(lit(new Timestamp(fromMs)))
            .and(toMs == Long.MAX_VALUE ? lit(true) : col(WINDOW_END).leq(lit(new Timestamp(toMs)))))
        .groupBy(key).agg(max_by(struct(state), col(BATCH)).as("_last"))
        .select(out).select(WindowAggregation.windowColumns());
  }

  /**
   * Deletes the folders whose windows all ended by {@code finalizedMs}, logged before
   * {@code beforeBatch}: the windows a committed micro-batch has finalized (a replay of the
   * current one must still find what it reads).
   */
  public void forget(SparkSession spark, long finalizedMs, long beforeBatch) {
    try {
      Path root = new Path(dir);
      FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
      for (Folder f : folders(spark)) {
        if (f.maxEndMs() <= finalizedMs && f.batchId() < beforeBatch) {
          fs.delete(f.path(), true);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean the window log " + dir, e);
    }
  }

  private record Folder(Path path, String kind, long batchId, long minEndMs, long maxEndMs) {}

  private List<Folder> folders(SparkSession spark) {
    List<Folder> out = new ArrayList<>();
    try {
      Path root = new Path(dir);
      FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(root)) {
        return out;
      }
      for (FileStatus s : fs.listStatus(root)) {
        String[] name = s.getPath().getName().split("-");
        if (s.isDirectory() && name.length == 4 && (name[0].equals(CHANGED) || name[0].equals(PARTIALS))
            && fs.exists(new Path(s.getPath(), SUCCESS))) {
          out.add(new Folder(s.getPath(), name[0], Long.parseLong(name[1]), Long.parseLong(name[2]),
              Long.parseLong(name[3])));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the window log " + dir, e);
    }
    return out;
  }
}
