package io.iotpipe.testing;

import io.iotpipe.spark.SparkSessions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The one SparkSession of a test JVM, shared by every test class (starting Spark costs seconds).
 * Built by {@link SparkSessions}, like the jobs' sessions, with sizes for small test data.
 */
public final class TestSpark {
  private static SparkSession session;
  private static Path scratch;

  private TestSpark() {}

  public static synchronized SparkSession session() {
    if (session == null) {
      scratch = newScratch();
      session = SparkSessions.getOrCreate("iotpipe-tests", Map.of(
          "spark.master", "local[2]",
          "spark.sql.shuffle.partitions", "2",
          "spark.default.parallelism", "2",
          "spark.ui.enabled", "false",
          "spark.sql.warehouse.dir", scratch.resolve("warehouse").toString(),
          "spark.sql.streaming.minBatchesToRetain", "5",
          "spark.databricks.delta.snapshotPartitions", "2"));
    }
    return session;
  }

  /** A new empty folder under this JVM's scratch folder (under target/, removed by mvn clean). */
  public static Path newFolder(String prefix) {
    session();
    try {
      return Files.createTempDirectory(scratch, prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path newScratch() {
    try {
      Path target = Path.of("target");
      Files.createDirectories(target);
      return Files.createTempDirectory(target.toAbsolutePath(), "spark-tests-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
