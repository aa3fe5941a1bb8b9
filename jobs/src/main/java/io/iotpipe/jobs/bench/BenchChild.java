package io.iotpipe.jobs.bench;

import static org.apache.spark.sql.functions.col;

import io.iotpipe.config.Settings;
import io.iotpipe.jobs.JobRunner;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.kafka.KafkaSource;
import io.iotpipe.spark.SparkSessions;
import io.iotpipe.spark.StreamOptions;
import io.iotpipe.spark.StreamingQueries;
import io.iotpipe.spark.StreamTrigger;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * The main class of each JVM the benchmark measures: {@code BenchChild <job> [options]} runs a
 * job exactly as {@link JobRunner} does; {@code BenchChild count key=value...} runs the engine's
 * floor, a query that reads the topic with the jobs' own Kafka source and only counts.
 */
public final class BenchChild {
  private BenchChild() {}

  public static void main(String[] args) throws Exception {
    System.exit(args.length > 0 && args[0].equals("count") ? count(args) : JobRunner.run(args));
  }

  private static int count(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 1; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      options.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    Settings settings = Settings.load(Path.of("conf"), "local", options);
    SparkSession spark = SparkSessions.getOrCreate("iotpipe-bench-count", settings.withPrefix("spark."));
    // The jobs' own stream options and start (state store, checkpoint file manager, trigger).
    StreamOptions stream = new StreamOptions(options.get("checkpoint"), StreamTrigger.AVAILABLE_NOW, "earliest",
        Optional.of(Long.parseLong(options.get("max-offsets-per-trigger"))), StreamOptions.StateStore.ROCKSDB);
    Dataset<Row> records = KafkaSource.stream(spark, KafkaOptions.from(settings), stream);
    StreamingQuery query = StreamingQueries.start(records.select(col("value")), "count", stream,
        (VoidFunction2<Dataset<Row>, Long>) (batch, id) -> batch.count());
    query.awaitTermination();
    return 0;
  }
}
