package io.iotpipe.spark;

import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.StorageOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The options every streaming job has, under its own prefix: checkpoint, trigger, where a new
 * checkpoint starts reading, and the micro-batch size limit.
 */
public record StreamOptions(String checkpoint, StreamTrigger trigger, String startingOffsets,
    Optional<Long> maxOffsetsPerTrigger, StateStore stateStore) {

  /** Where the query keeps its state: on the JVM heap (Spark's default) or in RocksDB (large state). */
  public enum StateStore {
    HDFS("org.apache.spark.sql.execution.streaming.state.HDFSBackedStateStoreProvider"),
    ROCKSDB("org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider");

    public final String providerClass;

    StateStore(String providerClass) {
      this.providerClass = providerClass;
    }
  }

  private static final String TIMESTAMP = "timestamp:";

  /** The option keys of job {@code job}, e.g. ingest.trigger. */
  public static List<OptionKey<?>> keys(String job, String defaultTrigger) {
    return List.of(checkpoint(job), trigger(job, defaultTrigger), startingOffsets(job), maxOffsets(job),
        stateStore(job));
  }

  public static StreamOptions from(Settings s, String job, String defaultTrigger, StorageOptions storage) {
    return new StreamOptions(s.find(checkpoint(job)).orElse(storage.checkpoint(job)),
        s.get(trigger(job, defaultTrigger)), s.get(startingOffsets(job)), s.find(maxOffsets(job)),
        s.get(stateStore(job)));
  }

  private static OptionKey<String> checkpoint(String job) {
    return OptionKey.location(job + ".checkpoint", null, "checkpoint folder (default: <checkpoint.root>/" + job + ")");
  }

  private static OptionKey<StreamTrigger> trigger(String job, String defaultTrigger) {
    return StreamTrigger.option(job + ".trigger", defaultTrigger);
  }

  private static OptionKey<String> startingOffsets(String job) {
    return new OptionKey<>(job + ".starting-offsets", "earliest|latest|timestamp:<ISO instant>|JSON", "earliest",
        "where a new checkpoint starts reading: the first record at or after a timestamp, or Spark's JSON offsets "
            + "per partition (a restart always continues from its checkpoint)", s -> {
          String t = s.trim();
          if (t.startsWith(TIMESTAMP)) {
            try {
              Instant.parse(t.substring(TIMESTAMP.length()));
            } catch (DateTimeParseException e) {
              throw new IllegalArgumentException("'" + s + "' is not timestamp:<ISO instant> like "
                  + "timestamp:2026-11-28T00:00:00Z");
            }
            return t;
          }
          if (t.equals("earliest") || t.equals("latest") || t.startsWith("{")) {
            return t;
          }
          throw new IllegalArgumentException("'" + s + "' is not earliest, latest, timestamp:<ISO instant> or "
              + "Spark's JSON offsets");
        });
  }

  /** The time a new checkpoint starts reading at, when {@code starting-offsets} is a timestamp. */
  public Optional<Instant> startingTimestamp() {
    return startingOffsets.startsWith(TIMESTAMP)
        ? Optional.of(Instant.parse(startingOffsets.substring(TIMESTAMP.length())))
        : Optional.empty();
  }

  /** Whether the checkpoint has planned no micro-batch yet, so that the start position applies. */
  public boolean isNewCheckpoint(SparkSession spark) {
    Path offsets = new Path(checkpoint, "offsets");
    try {
      FileSystem fs = offsets.getFileSystem(spark.sparkContext().hadoopConfiguration());
      return !fs.exists(offsets) || fs.listStatus(offsets).length == 0;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + checkpoint, e);
    }
  }

  private static OptionKey<StateStore> stateStore(String job) {
    return OptionKey.choice(job + ".state-store", StateStore.class, StateStore.ROCKSDB,
        "state store of a new checkpoint: rocksdb (off the heap; a micro-batch writes only the keys it changed) "
            + "or hdfs (on the heap; every micro-batch copies the whole state in memory)");
  }

  private static OptionKey<Long> maxOffsets(String job) {
    return OptionKey.longInt(job + ".max-offsets-per-trigger", null, 1, Long.MAX_VALUE,
        "most records per micro-batch (default: no limit)");
  }
}
