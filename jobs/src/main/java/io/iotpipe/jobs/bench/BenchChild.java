package io.iotpipe.jobs.bench;

import static org.apache.spark.sql.functions.col;

import io.iotpipe.config.Settings;
import io.iotpipe.event.EventDedup;
import io.iotpipe.event.EventParser;
import io.iotpipe.event.ValidationLimits;
import io.iotpipe.jobs.JobRunner;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.kafka.KafkaSource;
import io.iotpipe.spark.SparkSessions;
import io.iotpipe.spark.StreamOptions;
import io.iotpipe.spark.StreamingQueries;
import io.iotpipe.spark.StreamTrigger;
import java.nio.file.Path;
import java.time.Duration;
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
 * floor, a query that reads the topic with the jobs' own Kafka source and only counts. Two more
 * count queries measure what a downstream job pays for its input, the choice of "parse once,
 * deduplicate once": {@code count-dedup} reads the topic through the parse and the deduplication
 * every streaming job starts with, {@code count-delta} reads ingest's Delta {@code events} table
 * as a stream instead ({@code delta-path}, {@code max-files-per-trigger}).
 */
public final class BenchChild {
  private BenchChild() {}

  public static void main(String[] args) throws Exception {
    System.exit(args.length > 0 && args[0].startsWith("count") ? count(args) : JobRunner.run(args));
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
    Dataset<Row> input = switch (args[0]) {
      case "count" -> KafkaSource.stream(spark, KafkaOptions.from(settings), stream).select(col("value"));
      case "count-dedup" -> EventDedup.distinctValidEvents(
          EventParser.parse(KafkaSource.stream(spark, KafkaOptions.from(settings), stream), ValidationLimits.DEFAULTS),
          EventDedup.Options.from(settings), Duration.ZERO, "count_duplicates");
      case "count-delta" -> spark.readStream().format("delta")
          .option("maxFilesPerTrigger", options.get("max-files-per-trigger")).load(options.get("delta-path"));
      default -> throw new IllegalArgumentException("unknown count query " + args[0]);
    };
    StreamingQuery query = StreamingQueries.start(input, "count", stream,
        (VoidFunction2<Dataset<Row>, Long>) (batch, id) -> batch.count());
    query.awaitTermination();
    return 0;
  }
}
