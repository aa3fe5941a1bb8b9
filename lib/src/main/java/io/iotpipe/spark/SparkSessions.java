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
  static final Map<String, String> REQUIRED_DEFAULTS = Map.of(
      "spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension",
      "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog",
      // A timestamp that only Spark 2's parser accepts must yield null (a quarantined event), not
      // an exception that stops the stream (the default policy, EXCEPTION, throws).
      "spark.sql.legacy.timeParserPolicy", "CORRECTED",
      // Timestamps print in UTC everywhere; dates are derived in UTC by the transforms anyway.
      "spark.sql.session.timeZone", "UTC",
      // The window aggregation's percentile sketch is an object aggregate: keep a task's
      // aggregation in its hash map for up to this many windows. Spark's default, 128, falls back
      // to sorting every row of a task with more (a quarter of the aggregates job's CPU in a
      // flight recording of 200,000-event micro-batches).
      "spark.sql.objectHashAggregate.sortBased.fallbackThreshold", "262144");

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
