package io.iotpipe.jobs.demo;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.desc;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.TableSpec;
import io.iotpipe.jobs.Job;
import io.iotpipe.jobs.ingest.IngestJob;
import io.iotpipe.jobs.ingest.IngestOptions;
import io.iotpipe.jobs.ingest.IngestProgress;
import io.iotpipe.jobs.simulate.SimulateJob;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.sim.KafkaRecordSink;
import io.iotpipe.sim.SimulationSummary;
import io.iotpipe.sim.SimulatorOptions;
import io.iotpipe.spark.SparkSessions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job {@code demo}: the whole walking skeleton on the local services, from a clean slate. It
 * starts the streaming ingest, simulates a fleet into Kafka while the stream runs, waits until
 * the stream has caught up, shows what landed, and prints one {@code SUMMARY} JSON line.
 */
public final class DemoJob implements Job {
  private static final Logger LOG = LoggerFactory.getLogger("io.iotpipe.demo");

  static final OptionKey<Boolean> RESET = OptionKey.bool("demo.reset", true,
      "start from a clean slate: recreate the topic, delete the demo's tables and checkpoints (local paths only)");

  /** The demo's own defaults, beneath the profile and the command line. */
  static final Map<String, String> DEFAULTS = Map.of(
      SimulatorOptions.TENANTS.name(), "2",
      SimulatorOptions.DEVICES.name(), "50",
      SimulatorOptions.DURATION.name(), "2h",
      SimulatorOptions.TRUTH_FILE.name(), "work/demo/ground-truth.jsonl",
      SimulatorOptions.RECORDS_FILE.name(), "work/demo/records-sent.jsonl",
      IngestOptions.TRIGGER.name(), "2s");

  @Override
  public String name() {
    return "demo";
  }

  @Override
  public String description() {
    return "simulate a fleet and run the jobs on it end to end, then print a SUMMARY";
  }

  @Override
  public List<OptionKey<?>> options() {
    List<OptionKey<?>> keys = new ArrayList<>(IngestOptions.keys());
    SimulatorOptions.KEYS.forEach(k -> {
      if (!keys.contains(k)) {
        keys.add(k);
      }
    });
    keys.add(RESET);
    return keys;
  }

  @Override
  public int run(Settings given) throws Exception {
    Settings settings = given.withDefaults(DEFAULTS, "the demo's defaults");
    IngestOptions ingest = IngestOptions.from(settings);
    SimulatorOptions sim = SimulatorOptions.from(settings);
    KafkaOptions kafka = ingest.kafka();
    if (settings.get(RESET)) {
      reset(kafka, ingest);
    }
    KafkaRecordSink.createTopicIfMissing(kafka, kafka.eventsTopic(), sim.partitions());

    LOG.info("demo: starting Spark");
    SparkSession spark = SparkSessions.getOrCreate("iotpipe-demo", settings.withPrefix("spark."));
    IngestJob.Running running = IngestJob.startFromOptions(spark, ingest);

    SimulationSummary sent = SimulateJob.simulate(kafka, sim);
    LOG.info("demo: simulator done ({} records); waiting for the stream to catch up", sent.recordsSent());
    running.query().processAllAvailable();
    running.query().stop();
    IngestProgress.Totals totals = running.totals();

    Map<String, Object> summary = report(spark, ingest, sent, totals);
    System.out.println("SUMMARY " + new ObjectMapper().writeValueAsString(summary));
    return Boolean.TRUE.equals(summary.get("matches_ground_truth")) ? 0 : 1;
  }

  private static Map<String, Object> report(SparkSession spark, IngestOptions o, SimulationSummary sent,
      IngestProgress.Totals totals) {
    String eventsPath = o.storage().table(TableSpec.EVENTS);
    String quarantinePath = o.storage().table(TableSpec.QUARANTINE);
    long events = spark.read().format("delta").load(eventsPath).count();
    List<Row> reasons = spark.read().format("delta").load(quarantinePath)
        .groupBy("reason").agg(count("*").as("n")).orderBy(desc("n")).collectAsList();
    long quarantined = reasons.stream().mapToLong(r -> r.getLong(1)).sum();
    LOG.info("demo: Delta events: {} rows; quarantine: {} rows", events, quarantined);
    reasons.forEach(r -> LOG.info("demo:   quarantined {}: {}", String.format("%-26s", r.getString(0)), r.getLong(1)));
    spark.read().format("delta").load(eventsPath)
        .orderBy(col("event_time").desc()).limit(3)
        .select("tenant_id", "device_id", "event_time", "metrics").collectAsList()
        .forEach(r -> LOG.info("demo:   latest event {}", r.mkString(" | ")));

    boolean matches = events == sent.validEvents() && quarantined == sent.malformedTotal()
        && totals.duplicatesDropped() == sent.duplicates();
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("events_sent", sent.recordsSent());
    s.put("events_valid", events);
    s.put("events_quarantined", quarantined);
    s.put("duplicates_dropped", totals.duplicatesDropped());
    s.put("records_consumed", totals.consumed());
    s.put("balanced", totals.unbalancedBatches() == 0
        && totals.consumed() == totals.valid() + totals.quarantined() + totals.duplicatesDropped());
    s.put("matches_ground_truth", matches);
    s.put("expected", Map.of("events_valid", sent.validEvents(), "events_quarantined", sent.malformedTotal(),
        "duplicates_dropped", sent.duplicates()));
    s.put("kafka_topic", sent.topic());
    s.put("delta_tables", Map.of("events", eventsPath, "quarantine", quarantinePath));
    s.put("ground_truth", Path.of(sent.truthFile()).toAbsolutePath().toString());
    s.put("records_file", sent.recordsFile());
    return s;
  }

  /** Recreates the topic and deletes the demo's tables and checkpoint; refuses anything not on local disk. */
  private static void reset(KafkaOptions kafka, IngestOptions o) throws Exception {
    List<Path> paths = new ArrayList<>();
    for (String location : List.of(o.storage().table(TableSpec.EVENTS), o.storage().table(TableSpec.QUARANTINE),
        o.checkpoint())) {
      paths.add(localPath(location));
    }
    LOG.info("demo: reset: recreating topic {}, deleting {}", kafka.eventsTopic(), paths);
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      if (admin.listTopics().names().get().contains(kafka.eventsTopic())) {
        admin.deleteTopics(Set.of(kafka.eventsTopic())).all().get();
        // Deletion completes in the background; wait until the name is free.
        for (int i = 0; i < 100 && admin.listTopics().names().get().contains(kafka.eventsTopic()); i++) {
          Thread.sleep(200);
        }
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("demo reset: cannot delete topic " + kafka.eventsTopic(), e.getCause());
    }
    for (Path p : paths) {
      deleteRecursively(p);
    }
  }

  private static Path localPath(String location) {
    if (location.startsWith("file:")) {
      return Path.of(URI.create(location));
    }
    if (location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
      throw new IllegalArgumentException("demo.reset only deletes local paths, not " + location
          + "; run with --demo.reset false");
    }
    return Path.of(location);
  }

  private static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
