package io.iotpipe.jobs.demo;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.desc;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotpipe.aggregate.AggregateTables;
import io.iotpipe.aggregate.WindowReader;
import io.iotpipe.aggregate.WindowServing;
import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.TableSpec;
import io.iotpipe.jobs.Job;
import io.iotpipe.jobs.LocalFiles;
import io.iotpipe.jobs.aggregates.AggregatesJob;
import io.iotpipe.jobs.aggregates.AggregatesOptions;
import io.iotpipe.jobs.ingest.IngestJob;
import io.iotpipe.jobs.ingest.IngestOptions;
import io.iotpipe.jobs.ingest.IngestProgress;
import io.iotpipe.features.FeatureStore;
import io.iotpipe.health.HealthStore;
import io.iotpipe.jobs.features.FeaturesJob;
import io.iotpipe.jobs.health.DeviceHealthJob;
import io.iotpipe.jobs.health.DeviceHealthOptions;
import io.iotpipe.jobs.health.DeviceHealthProgress;
import io.iotpipe.kafka.KafkaSource;
import io.iotpipe.jobs.features.FeaturesOptions;
import io.iotpipe.jobs.features.FeaturesProgress;
import io.iotpipe.jobs.score.ScoreJob;
import io.iotpipe.jobs.score.ScoreOptions;
import io.iotpipe.jobs.score.ScoreProgress;
import io.iotpipe.jobs.simulate.SimulateJob;
import io.iotpipe.jobs.train.TrainJob;
import io.iotpipe.jobs.train.TrainOptions;
import io.iotpipe.ml.Alerts;
import io.iotpipe.ml.AnomalyModel;
import io.iotpipe.ml.ModelRegistry;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.sim.KafkaRecordSink;
import io.iotpipe.sim.SimulationSummary;
import io.iotpipe.sim.SimulatorOptions;
import io.iotpipe.spark.SparkSessions;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job {@code demo}: the suite end to end on the local services, from a clean slate. It starts the
 * streaming jobs, simulates a fleet into Kafka while they run, waits until they have caught up,
 * shows what landed, and prints one {@code SUMMARY} JSON line.
 */
public final class DemoJob implements Job {
  private static final Logger LOG = LoggerFactory.getLogger("io.iotpipe.demo");

  static final OptionKey<Boolean> RESET = OptionKey.bool("demo.reset", true,
      "start from a clean slate: recreate the topic, delete the demo's tables, checkpoints and Cassandra keyspace "
          + "(local paths and a loopback Cassandra only)");

  /** The demo's own defaults, beneath the profile and the command line. */
  static final Map<String, String> DEFAULTS = Map.ofEntries(
      Map.entry(SimulatorOptions.TENANTS.name(), "2"),
      Map.entry(SimulatorOptions.DEVICES.name(), "30"),
      Map.entry(SimulatorOptions.DURATION.name(), "2h"),
      Map.entry(SimulatorOptions.TRUTH_FILE.name(), "work/demo/ground-truth.jsonl"),
      Map.entry(SimulatorOptions.RECORDS_FILE.name(), "work/demo/records-sent.jsonl"),
      Map.entry("ingest.trigger", "2s"),
      Map.entry("aggregates.trigger", "2s"),
      Map.entry("features.trigger", "2s"),
      Map.entry("device-health.trigger", "2s"),
      Map.entry("score.trigger", "available-now"),
      // Enough spikes for a training set with a held-out part worth measuring.
      Map.entry(SimulatorOptions.SPIKES.name(), "0.005"),
      Map.entry("train.truth-file", "work/demo/ground-truth.jsonl"),
      // Several micro-batches, so that the watermark moves while events arrive and the
      // simulator's late events are late.
      Map.entry("aggregates.max-offsets-per-trigger", "15000"));

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
    Set<OptionKey<?>> keys = new LinkedHashSet<>(IngestOptions.keys());
    keys.addAll(AggregatesOptions.keys());
    keys.addAll(FeaturesOptions.keys());
    keys.addAll(TrainOptions.keys());
    keys.addAll(ScoreOptions.keys());
    keys.addAll(DeviceHealthOptions.keys());
    keys.addAll(SimulatorOptions.KEYS);
    keys.add(RESET);
    return new ArrayList<>(keys);
  }

  @Override
  public int run(Settings given) throws Exception {
    Settings settings = given.withDefaults(DEFAULTS, "the demo's defaults");
    IngestOptions ingest = IngestOptions.from(settings);
    AggregatesOptions aggregates = AggregatesOptions.from(settings);
    FeaturesOptions features = FeaturesOptions.from(settings);
    TrainOptions train = TrainOptions.from(settings);
    ScoreOptions score = ScoreOptions.from(settings);
    DeviceHealthOptions health = DeviceHealthOptions.from(settings);
    SimulatorOptions sim = SimulatorOptions.from(settings);
    KafkaOptions kafka = ingest.kafka();
    if (settings.get(RESET)) {
      reset(kafka, ingest, aggregates, features, score, health);
    }
    KafkaRecordSink.createTopicIfMissing(kafka, kafka.eventsTopic(), sim.partitions());

    LOG.info("demo: starting Spark");
    SparkSession spark = SparkSessions.getOrCreate("iotpipe-demo", settings.withPrefix("spark."));
    IngestJob.Running ingesting = IngestJob.startFromOptions(spark, ingest);
    AggregatesJob.Running aggregating = AggregatesJob.startFromOptions(spark, aggregates);
    FeaturesJob.Running featurizing = FeaturesJob.startFromOptions(spark, features);
    DeviceHealthJob.Running watching = DeviceHealthJob.startFromOptions(spark, health);

    SimulationSummary sent = SimulateJob.simulate(kafka, sim);
    LOG.info("demo: simulator done ({} records); waiting for the streams to catch up", sent.recordsSent());
    for (StreamingQuery q : List.of(ingesting.query(), aggregating.query(), featurizing.query())) {
      q.processAllAvailable();
    }
    for (StreamingQuery q : List.of(ingesting.query(), aggregating.query(), featurizing.query())) {
      q.stop();
    }
    // device-health runs a micro-batch at every trigger (its processing-time timeouts), so it
    // never reports "no new data": wait until it has consumed the topic, then for one round of
    // its timeouts, in which devices the fleet left behind go OFFLINE.
    KafkaSource.awaitConsumed(watching.query(), kafka, java.time.Duration.ofMinutes(5));
    Thread.sleep(health.allowedLateness().toMillis() + 5_000);
    watching.query().stop();

    Map<String, Object> summary = new LinkedHashMap<>();
    boolean matches = reportIngest(spark, ingest, sent, ingesting.totals(), summary);
    reportAggregates(spark, aggregates, aggregating.totals(), summary);

    LOG.info("demo: training the anomaly model on the offline feature store");
    TrainJob.Result model = TrainJob.train(spark, train);
    ScoreJob.Running scoring = ScoreJob.startFromOptions(spark, score);
    scoring.query().awaitTermination();
    reportModel(spark, score, featurizing.totals(), model, scoring.totals(), summary);
    reportHealth(spark, health, watching.totals(), summary);
    System.out.println("SUMMARY " + new ObjectMapper().writeValueAsString(summary));
    return matches ? 0 : 1;
  }

  private static boolean reportIngest(SparkSession spark, IngestOptions o, SimulationSummary sent,
      IngestProgress.Totals totals, Map<String, Object> s) {
    String eventsPath = o.storage().table(TableSpec.EVENTS);
    String quarantinePath = o.storage().table(TableSpec.QUARANTINE);
    long events = spark.read().format("delta").load(eventsPath).count();
    List<Row> reasons = spark.read().format("delta").load(quarantinePath)
        .groupBy("reason").agg(count("*").as("n")).orderBy(desc("n")).collectAsList();
    long quarantined = reasons.stream().mapToLong(r -> r.getLong(1)).sum();
    LOG.info("demo: Delta events: {} rows; quarantine: {} rows", events, quarantined);
    reasons.forEach(r -> LOG.info("demo:   quarantined {}: {}", String.format("%-26s", r.getString(0)), r.getLong(1)));

    boolean matches = events == sent.validEvents() && quarantined == sent.malformedTotal()
        && totals.duplicatesDropped() == sent.duplicates();
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
    Map<String, Object> tables = new LinkedHashMap<>();
    tables.put("events", eventsPath);
    tables.put("quarantine", quarantinePath);
    s.put("delta_tables", tables);
    s.put("ground_truth", Path.of(sent.truthFile()).toAbsolutePath().toString());
    s.put("records_file", sent.recordsFile());
    return matches;
  }

  @SuppressWarnings("unchecked")
  private static void reportAggregates(SparkSession spark, AggregatesOptions o,
      io.iotpipe.jobs.aggregates.AggregatesProgress.Totals totals, Map<String, Object> s) {
    LOG.info("demo: aggregates: {} windows written to Cassandra, {} final windows to Delta, {} late events recorded",
        totals.windowsWrittenCassandra(), totals.windowsWrittenDelta(), totals.lateEvents());
    CassandraOptions c = o.cassandra();
    String tenant = "tenant-01";
    String device = "dev-00001";
    try (CqlSession session = c.openSession()) {
      List<WindowReader.ServedWindow> latest = new WindowReader(session, c.keyspace())
          .latestDeviceWindows(tenant, device, "temperature", 60, 5, Instant.now(), 2);
      LOG.info("demo: latest 1-minute windows of {}/{} temperature, read back from Cassandra {}.{}:",
          tenant, device, c.keyspace(), WindowServing.DEVICE_TABLE);
      for (WindowReader.ServedWindow w : latest) {
        LOG.info(String.format("demo:   %s  n=%d  mean=%.2f  min=%.2f  max=%.2f  p95=%.2f  %s", w.windowStart(),
            w.count(), w.mean(), w.min(), w.max(), w.p95(), w.isFinal() ? "final" : "open"));
      }
    }
    ((Map<String, Object>) s.get("delta_tables")).put("aggregates", o.storage().table(AggregateTables.AGGREGATES));
    ((Map<String, Object>) s.get("delta_tables")).put("late_events", o.storage().table(AggregateTables.LATE_EVENTS));
    s.put("windows_written_cassandra", totals.windowsWrittenCassandra());
    s.put("windows_written_delta", totals.windowsWrittenDelta());
    s.put("late_events", totals.lateEvents());
    s.put("cassandra_keyspace", c.keyspace());
    s.put("cassandra_tables", List.of(WindowServing.DEVICE_TABLE, WindowServing.FLEET_TABLE));
  }

  @SuppressWarnings("unchecked")
  private static void reportModel(SparkSession spark, ScoreOptions o, FeaturesProgress.Totals features,
      TrainJob.Result model, ScoreProgress.Totals scored, Map<String, Object> s) {
    AnomalyModel.Metrics m = model.metrics();
    LOG.info(String.format("demo: model v%d: precision %.3f, recall %.3f, ROC AUC %.4f on the later %d rows (%d spikes)",
        model.model().version(), m.precision(), m.recall(), m.auc(), model.testRows(), model.testAnomalies()));
    LOG.info("demo: {} feature rows scored, {} alerts; the highest scores:", scored.scored(), scored.alerts());
    spark.read().format("delta").load(o.storage().table(Alerts.TABLE)).orderBy(col("score").desc()).limit(5)
        .collectAsList().forEach(a -> LOG.info(String.format("demo:   %s %s/%s  score %.3f  (model v%d)  %s",
            a.<java.sql.Timestamp>getAs("alert_time").toInstant(), a.getAs("tenant_id"), a.getAs("device_id"),
            a.<Double>getAs("score"), a.<Integer>getAs("model_version"), a.getList(a.fieldIndex("top_features")))));
    s.put("features_written", features.features());
    s.put("alerts_emitted", scored.alerts());
    Map<String, Object> modelSummary = new LinkedHashMap<>();
    modelSummary.put("version", model.model().version());
    modelSummary.put("precision", m.precision());
    modelSummary.put("recall", m.recall());
    modelSummary.put("auc", m.auc());
    modelSummary.put("published", model.publication().publish());
    s.put("model", modelSummary);
    s.put("alerts_topic", o.alertsTopic());
    ((Map<String, Object>) s.get("delta_tables")).put("features", o.storage().table(FeatureStore.offline(o.spec())));
    ((Map<String, Object>) s.get("delta_tables")).put("alerts", o.storage().table(Alerts.TABLE));
  }

  private static void reportHealth(SparkSession spark, DeviceHealthOptions o, DeviceHealthProgress.Totals totals,
      Map<String, Object> s) {
    Map<String, Long> byStatus = new java.util.TreeMap<>();
    try (CqlSession session = o.cassandra().openSession()) {
      for (String tenant : List.of("tenant-01", "tenant-02")) {
        session.execute("SELECT status FROM " + o.cassandra().keyspace() + "." + HealthStore.STATUS
            + " WHERE tenant_id = ?", tenant).forEach(r -> byStatus.merge(r.getString(0), 1L, Long::sum));
      }
    }
    LOG.info("demo: device health (Cassandra {}.{}): {}; {} transitions, {} alarms raised; the latest transitions:",
        o.cassandra().keyspace(), HealthStore.STATUS, byStatus, totals.transitions(), totals.alarmsRaised());
    spark.read().format("delta").load(o.storage().table(HealthStore.HISTORY)).where("kind = 'TRANSITION'")
        .orderBy(col("time").desc()).limit(5).collectAsList()
        .forEach(t -> LOG.info(String.format("demo:   %s %s/%s %s -> %s (%s)", t.<java.sql.Timestamp>getAs("time").toInstant(),
            t.getAs("tenant_id"), t.getAs("device_id"), t.getAs("from_status"), t.getAs("to_status"), t.getAs("reason"))));
    s.put("devices_online", byStatus.getOrDefault("ONLINE", 0L));
    s.put("devices_degraded", byStatus.getOrDefault("DEGRADED", 0L));
    s.put("devices_offline", byStatus.getOrDefault("OFFLINE", 0L));
    s.put("alarms_raised", totals.alarmsRaised());
  }

  /** Recreates the topic, deletes the demo's tables and checkpoints and drops its keyspace; refuses anything not local. */
  private static void reset(KafkaOptions kafka, IngestOptions ingest, AggregatesOptions aggregates,
      FeaturesOptions features, ScoreOptions score, DeviceHealthOptions health) throws Exception {
    List<Path> paths = new ArrayList<>();
    for (String location : List.of(ingest.storage().table(TableSpec.EVENTS), ingest.storage().table(TableSpec.QUARANTINE),
        ingest.stream().checkpoint(), aggregates.storage().table(AggregateTables.AGGREGATES),
        aggregates.storage().table(AggregateTables.LATE_EVENTS), aggregates.stream().checkpoint(),
        features.storage().table(FeatureStore.offline(features.spec())), features.stream().checkpoint(),
        score.storage().table(Alerts.TABLE), score.storage().table(Alerts.SCORE_BATCHES),
        score.storage().table(ModelRegistry.TABLE), score.modelsRoot(), score.stream().checkpoint(),
        health.storage().table(HealthStore.HISTORY), health.stream().checkpoint())) {
      paths.add(localPath(location));
    }
    CassandraOptions c = aggregates.cassandra();
    if (!c.contactPoints().stream().allMatch(h -> h.equals("127.0.0.1") || h.equals("localhost"))) {
      throw new IllegalArgumentException("demo.reset only drops a keyspace on a loopback Cassandra, not "
          + c.contactPoints() + "; run with --demo.reset false");
    }
    LOG.info("demo: reset: recreating topic {}, dropping keyspace {}, deleting {}", kafka.eventsTopic(),
        c.keyspace(), paths);
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      for (String topic : List.of(kafka.eventsTopic(), score.alertsTopic(), health.topic())) {
        if (admin.listTopics().names().get().contains(topic)) {
          admin.deleteTopics(Set.of(topic)).all().get();
          // Deletion completes in the background; wait until the name is free.
          for (int i = 0; i < 100 && admin.listTopics().names().get().contains(topic); i++) {
            Thread.sleep(200);
          }
        }
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("demo reset: cannot delete topic " + kafka.eventsTopic(), e.getCause());
    }
    try (CqlSession session = c.openSession()) {
      session.execute("DROP KEYSPACE IF EXISTS " + c.keyspace());
    }
    for (Path p : paths) {
      LocalFiles.deleteRecursively(p);
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
}
