package io.iotpipe.spark;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The one way this suite builds a SparkSession: jobs, tests and notebooks get the same Delta
 * catalog and the same settings that the shared transforms rely on.
 *
 * <p>Settings given to spark-submit ({@code --conf}, {@code --master}) win over the defaults
 * passed here, so a profile in {@code conf/} never overrides what the operator set on a cluster.
 */
public final class SparkSessions {
  private SparkSessions() {}

  /** Settings the library needs; each can still be overridden explicitly. */
  static final Map<String, String> REQUIRED_DEFAULTS = Map.ofEntries(
      Map.entry("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension"),
      Map.entry("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog"),
      // A timestamp that only Spark 2's parser accepts must yield null (a quarantined event), not
      // an exception that stops the stream (the default policy, EXCEPTION, throws).
      Map.entry("spark.sql.legacy.timeParserPolicy", "CORRECTED"),
      // Timestamps print in UTC everywhere; dates are derived in UTC by the transforms anyway.
      Map.entry("spark.sql.session.timeZone", "UTC"),
      // The window aggregation's percentile sketch is an object aggregate: keep a task's
      // aggregation in its hash map for up to this many windows. Spark's default, 128, falls back
      // to sorting every row of a task with more (a quarter of the aggregates job's CPU in a
      // flight recording of 200,000-event micro-batches).
      Map.entry("spark.sql.objectHashAggregate.sortBased.fallbackThreshold", "262144"),
      // The sinks cache each micro-batch for the few writes that read it, and drop it after:
      // compressing the cache only costs (choosing each column's encoding through boxed hash
      // maps was 6% of ingest's CPU in a flight recording). A session that caches large tables
      // for long (a notebook) may want it back on.
      Map.entry("spark.sql.inMemoryColumnarStorage.compressed", "false"),
      // Columns whose values are all or nearly all distinct: Parquet's dictionary for them is
      // built, outgrown and dropped in every file (10% of ingest's CPU in a flight recording).
      // The same for the window rows' percentile sketches and first and last times.
      noDictionary("event_id"), noDictionary("event_time"), noDictionary("kafka_offset"),
      noDictionary("kafka_timestamp"), noDictionary("metrics.key_value.value"), noDictionary("sketch"),
      noDictionary("first_time"), noDictionary("last_time"),
      // Parquet's standard 64-bit timestamps, not Spark's legacy default INT96 (12-byte binaries
      // that are hashed as such for the dictionary and converted back on every read). Files
      // already written with INT96 stay readable.
      Map.entry("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS"),
      // A partitioned write (events by date, feature rows by date) keeps a Parquet writer open
      // per partition value a task meets, up to this many, instead of sorting all its rows by the
      // partition first (a micro-batch spans one or two dates; the sort of 200,000 feature rows
      // was 4% of the features job's CPU). Past this many values a task sorts the rest, as before.
      Map.entry("spark.sql.maxConcurrentOutputFileWriters", "8"));

  /** Parquet's setting that writes the column at this path (dotted; a map's values: name.key_value.value) plainly. */
  private static Map.Entry<String, String> noDictionary(String columnPath) {
    return Map.entry("spark.hadoop." + NO_DICTIONARY + columnPath, "false");
  }

  private static final String NO_DICTIONARY = "parquet.enable.dictionary#";

  /**
   * From now on in this session, writes the columns at these Parquet paths (as for
   * {@link #REQUIRED_DEFAULTS}) without a dictionary: for columns of distinct values whose names
   * are known only at run time. Spark copies its session settings into the Hadoop configuration
   * of every write.
   */
  public static void writePlainParquet(SparkSession spark, java.util.Collection<String> columnPaths) {
    columnPaths.forEach(p -> spark.conf().set(NO_DICTIONARY + p, "false"));
  }

  /**
   * A session named {@code appName}. {@code defaults} are spark.* settings (from a profile);
   * {@code spark.master} among them is used only when spark-submit gave none.
   */
  public static SparkSession getOrCreate(String appName, Map<String, String> defaults) {
    SparkConf submitted = new SparkConf(); // holds spark-submit's settings (system properties)
    Map<String, String> conf = new LinkedHashMap<>(REQUIRED_DEFAULTS);
    conf.putAll(defaults);
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    conf.forEach((k, v) -> {
      if (!submitted.contains(k)) {
        builder.config(k, v);
      }
    });
    if (!submitted.contains("spark.master") && !conf.containsKey("spark.master")) {
      builder.master("local[*]");
    }
    return builder.getOrCreate();
  }
}
