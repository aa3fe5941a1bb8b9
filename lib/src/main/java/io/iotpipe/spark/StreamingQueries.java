package io.iotpipe.spark;

import java.util.concurrent.TimeoutException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.streaming.OffsetSeq;
import org.apache.spark.sql.execution.streaming.OffsetSeqLog;
import org.apache.spark.sql.execution.streaming.OffsetSeqMetadata;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/** Starting and running the suite's streaming queries, all the same way. */
public final class StreamingQueries {
  private static final Logger LOG = LoggerFactory.getLogger(StreamingQueries.class);

  /** Spark's (internal) setting for the class that writes checkpoint files. */
  static final String CHECKPOINT_FILE_MANAGER = "spark.sql.streaming.checkpointFileManagerClass";
  static final String RENAME_BASED_FILE_MANAGER =
      "org.apache.spark.sql.execution.streaming.FileSystemBasedCheckpointFileManager";

  private StreamingQueries() {}

  /**
   * Starts {@code rows} into {@code sink} with the job's checkpoint, trigger and state store,
   * under {@code name}. (The state store is fixed by a checkpoint's first run; Spark keeps using
   * the one recorded there.)
   */
  public static StreamingQuery start(Dataset<Row> rows, String name, StreamOptions o,
      VoidFunction2<Dataset<Row>, Long> sink) throws TimeoutException {
    return start(rows, name, o, sink, OutputMode.Append());
  }

  /** The same, with an output mode other than append (update: every changed aggregate, each batch). */
  public static StreamingQuery start(Dataset<Row> rows, String name, StreamOptions o,
      VoidFunction2<Dataset<Row>, Long> sink, OutputMode mode) throws TimeoutException {
    SparkSession spark = rows.sparkSession();
    spark.conf().set("spark.sql.streaming.stateStore.providerClass", o.stateStore().providerClass);
    // RocksDB writes only the changed keys of a micro-batch to the checkpoint, not a copy of its files.
    spark.conf().set("spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled", "true");
    renameLocalCheckpointFiles(spark, o.checkpoint());
    return rows.writeStream()
        .queryName(name)
        .outputMode(mode)
        .option("checkpointLocation", o.checkpoint())
        .trigger(o.trigger().toSpark())
        .foreachBatch(sink)
        .start();
  }

  /**
   * The event-time watermark micro-batch {@code batchId} of the query with this checkpoint runs
   * with (epoch ms; 0 before the first event time, and for batch -1). Spark writes it to the
   * checkpoint's offset log before the batch runs and reads it back on a replay, so a sink that
   * asks within the batch gets the same answer as the stateful operators, after a restart too.
   */
  public static long batchWatermarkMs(SparkSession spark, String checkpoint, long batchId) {
    if (batchId < 0) {
      return 0;
    }
    Option<OffsetSeq> entry = new OffsetSeqLog(spark, new Path(checkpoint, "offsets").toString()).get(batchId);
    if (entry.isEmpty()) {
      throw new IllegalStateException("checkpoint " + checkpoint + " has no offsets for batch " + batchId);
    }
    Option<OffsetSeqMetadata> metadata = entry.get().metadata();
    return metadata.isDefined() ? metadata.get().batchWatermarkMs() : 0;
  }

  /**
   * On the local file system, checkpoint files are written with Hadoop's FileSystem API: a rename
   * there is rename(2), atomic like Spark's default FileContext rename. Hadoop's local FileContext
   * (without Hadoop's native library) starts a {@code readlink} process for each rename, on the
   * micro-batch's critical path; both APIs start a {@code chmod} for each new file. Flight
   * recordings of the aggregates job (1,000 events/s, 2 cores, two minutes) counted 751 process
   * starts with FileContext and 201 with this. Left alone when the operator chose a file manager,
   * or when the checkpoint is on another file system.
   */
  static void renameLocalCheckpointFiles(SparkSession spark, String checkpoint) {
    if (spark.conf().contains(CHECKPOINT_FILE_MANAGER)) {
      return;
    }
    String scheme = new Path(checkpoint).toUri().getScheme();
    if (scheme == null) { // a path without a scheme is on the default file system (HDFS on most clusters)
      scheme = FileSystem.getDefaultUri(spark.sessionState().newHadoopConf()).getScheme();
    }
    if ("file".equals(scheme)) {
      spark.conf().set(CHECKPOINT_FILE_MANAGER, RENAME_BASED_FILE_MANAGER);
    }
  }

  /**
   * Waits until the query ends (available-now) or the process is told to stop (SIGTERM: the
   * query stops between or within a batch, and the checkpoint makes the next start continue).
   */
  public static void runUntilStopped(StreamingQuery query) throws StreamingQueryException {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        query.stop();
      } catch (TimeoutException e) {
        LOG.warn("{}: the query did not stop in time", query.name());
      }
    }));
    query.awaitTermination();
  }
}
