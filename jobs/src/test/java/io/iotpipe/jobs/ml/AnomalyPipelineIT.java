package io.iotpipe.jobs.ml;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.TableSpec;
import io.iotpipe.features.FeatureComputation;
import io.iotpipe.features.FeatureSpec;
import io.iotpipe.features.FeatureStore;
import io.iotpipe.jobs.SimulatedTopic;
import io.iotpipe.jobs.features.FeaturesOptions;
import io.iotpipe.jobs.ingest.IngestJob;
import io.iotpipe.jobs.ingest.IngestOptions;
import io.iotpipe.jobs.score.ScoreJobs;
import io.iotpipe.jobs.score.ScoreOptions;
import io.iotpipe.jobs.train.TrainJob;
import io.iotpipe.jobs.train.TrainOptions;
import io.iotpipe.local.LocalServices;
import io.iotpipe.ml.Alerts;
import io.iotpipe.ml.AnomalyModel;
import io.iotpipe.ml.ModelRegistry;
import io.iotpipe.testing.LocalServicesExtension;
import io.iotpipe.testing.TestSpark;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Training on the offline store and streaming scoring, on the real local services: a fleet with
 * injected spikes is ingested, its features computed, a model trained, evaluated and published,
 * and the feature rows scored into alerts in Delta, Cassandra and Kafka.
 */
@ExtendWith(LocalServicesExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AnomalyPipelineIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static String root;

  /** The storage of this test's tables, by path only (no catalog database). */
  private static io.iotpipe.delta.StorageOptions storage() {
    return new io.iotpipe.delta.StorageOptions(root, root + "-checkpoints", java.util.Optional.empty());
  }
  private static String keyspace;
  private static SimulatedTopic fleet;
  private static FeatureSpec spec;
  private static List<Dataset<Row>> laterChunks;
  private static TrainJob.Result trained;

  static Map<String, String> settings(Map<String, String> extra) {
    LocalServices s = LocalServicesExtension.services();
    Map<String, String> m = new HashMap<>(Map.of(
        "kafka.bootstrap-servers", s.kafkaBootstrapServers(),
        "kafka.events-topic", fleet.topic,
        "cassandra.contact-points", s.cassandraHost(),
        "cassandra.port", String.valueOf(s.cassandraPort()),
        "cassandra.keyspace", keyspace,
        "delta.root", root,
        "checkpoint.root", root + "-checkpoints",
        "models.root", root + "-models"));
    m.putAll(extra);
    return m;
  }

  @BeforeAll
  static void fleetWithSpikes() throws Exception {
    fleet = SimulatedTopic.create("ml-it", Map.of("simulate.duration", "4h", "simulate.spike-rate", "0.01",
        "simulate.late-fraction", "0"));
    root = TestSpark.newFolder("ml").toString();
    keyspace = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    SparkSession spark = TestSpark.session();
    Map<String, String> ingest = settings(Map.of("ingest.trigger", "available-now"));
    IngestJob.Running run = IngestJob.startFromOptions(spark, IngestOptions.from(Settings.of(ingest)));
    run.query().awaitTermination();

    // The feature rows, computed by the library's batch function over the events table, written
    // to the offline store in time order: the first three quarters now, the rest later.
    spec = FeaturesOptions.spec(Settings.of(Map.of()));
    Dataset<Row> events = spark.read().format("delta").load(TableSpec.EVENTS.path(root));
    Dataset<Row> features = FeatureComputation.featureRows(FeatureComputation.batch(events, spec), spec).cache();
    Row range = features.agg(org.apache.spark.sql.functions.min("feature_time"),
        org.apache.spark.sql.functions.max("feature_time")).first();
    long from = range.getTimestamp(0).getTime();
    long span = range.getTimestamp(1).getTime() - from;
    String offline = FeatureStore.offline(spec).path(root);
    FeatureStore.offline(spec).createIfMissing(spark, storage());
    for (int q = 0; q < 3; q++) {
      quarter(features, from, span, q).write().format("delta").mode("append").save(offline);
    }
    laterChunks = List.of(eighth(features, from, span, 6), eighth(features, from, span, 7));
  }

  private static Dataset<Row> quarter(Dataset<Row> f, long from, long span, int q) {
    return between(f, from + span * q / 4, q == 3 ? Long.MAX_VALUE : from + span * (q + 1) / 4);
  }

  private static Dataset<Row> eighth(Dataset<Row> f, long from, long span, int e) {
    return between(f, from + span * e / 8, e == 7 ? Long.MAX_VALUE : from + span * (e + 1) / 8);
  }

  private static Dataset<Row> between(Dataset<Row> f, long fromMs, long toMs) {
    Dataset<Row> after = f.where(col("feature_time").geq(new Timestamp(fromMs)));
    return toMs == Long.MAX_VALUE ? after : after.where(col("feature_time").lt(new Timestamp(toMs)));
  }

  @Test
  @Order(1)
  void trainingCatchesInjectedSpikesWithPrecisionAndRecallOverPointEight() throws Exception {
    Map<String, String> m = settings(Map.of("train.truth-file", fleet.dir.resolve("truth.jsonl").toString()));
    trained = TrainJob.train(TestSpark.session(), TrainOptions.from(Settings.of(m)));
    AnomalyModel.Metrics metrics = trained.metrics();
    System.out.printf("MODEL v%d: precision %.3f recall %.3f F1 %.3f AUC %.4f on %d test rows with %d spikes%n",
        trained.model().version(), metrics.precision(), metrics.recall(), metrics.f1(), metrics.auc(),
        trained.testRows(), trained.testAnomalies());
    assertTrue(trained.testAnomalies() >= 30, "enough spikes in the held-out range: " + trained.testAnomalies());
    assertTrue(metrics.recall() >= 0.8, "recall " + metrics.recall());
    assertTrue(metrics.precision() >= 0.8, "precision " + metrics.precision());
    assertTrue(trained.publication().publish());
    ModelRegistry registry = new ModelRegistry(TestSpark.session(), storage(), root + "-models");
    assertEquals(trained.model().version(), registry.published().orElseThrow().version());
    assertEquals(spec.names(), registry.published().orElseThrow().featureNames());
  }

  @Test
  @Order(2)
  void everyAlertReachesEachSinkExactlyOnceAcrossACrash() throws Exception {
    String topic = "alerts-" + UUID.randomUUID().toString().substring(0, 8);
    ScoreOptions o = ScoreOptions.from(Settings.of(settings(Map.of("score.alerts-topic", topic,
        "score.trigger", "available-now", "score.max-offsets-per-trigger", "2",
        "score.checkpoint", root + "-checkpoints/score-crash"))));
    AtomicBoolean crashed = new AtomicBoolean();
    var crashing = ScoreJobs.start(TestSpark.session(), o, batchId -> {
      if (batchId == 1 && crashed.compareAndSet(false, true)) {
        throw new IllegalStateException("injected crash after the Delta and Cassandra writes of batch 1");
      }
    });
    assertThrows(StreamingQueryException.class, crashing.query()::awaitTermination);
    assertTrue(crashed.get());
    ScoreJobs.start(TestSpark.session(), o, batchId -> {}).query().awaitTermination();

    // Expected: every stored feature row the published model scores at or above its threshold.
    SparkSession spark = TestSpark.session();
    ModelRegistry.Entry model = trained.model();
    PipelineModel pipeline = ModelRegistry.load(model);
    Set<String> expected = ids(AnomalyModel.score(pipeline,
            spark.read().format("delta").load(FeatureStore.offline(spec).path(root))
                .withColumn(FeatureComputation.VECTOR, FeatureComputation.vector(model.featureNames())))
        .where(col(AnomalyModel.SCORE).geq(model.threshold())));
    assertTrue(expected.size() > 20, "alerts expected: " + expected.size());

    Dataset<Row> delta = spark.read().format("delta").load(Alerts.TABLE.path(root));
    assertEquals(expected.size(), delta.count(), "Delta: each alert once");
    assertEquals(expected, ids(delta));
    Map<String, String> read = new HashMap<>(o.cassandra().sparkConf());
    read.put("keyspace", keyspace);
    read.put("table", Alerts.CASSANDRA_TABLE);
    Dataset<Row> cassandra = spark.read().format("org.apache.spark.sql.cassandra").options(read).load();
    assertEquals(expected.size(), cassandra.count(), "Cassandra: each alert once");
    assertEquals(expected, ids(cassandra));
    List<String> kafka = committedAlertIds(o, topic);
    assertEquals(expected.size(), kafka.size(), "Kafka: each alert once");
    assertEquals(expected, new HashSet<>(kafka));
    Row top = delta.orderBy(col("score").desc()).first();
    assertTrue(!top.getList(top.fieldIndex("top_features")).isEmpty(), "alerts name the features behind them");
  }

  @Test
  @Order(3)
  void aNewlyPublishedModelIsUsedWithoutARestart() throws Exception {
    SparkSession spark = TestSpark.session();
    String topic = "alerts-" + UUID.randomUUID().toString().substring(0, 8);
    ScoreOptions o = ScoreOptions.from(Settings.of(settings(Map.of("score.alerts-topic", topic,
        "score.trigger", "500ms", "score.starting-offsets", "latest",
        "score.checkpoint", root + "-checkpoints/score-live"))));
    var live = ScoreJobs.start(spark, o, batchId -> {});
    try {
      String offline = FeatureStore.offline(spec).path(root);
      laterChunks.get(0).write().format("delta").mode("append").save(offline);
      live.query().processAllAvailable();
      // Publish a second version while the query runs (the same model files, a new version).
      ModelRegistry registry = new ModelRegistry(spark, storage(), root + "-models");
      ModelRegistry.Entry v1 = trained.model();
      int v2 = registry.nextVersion();
      registry.register(v2, ModelRegistry.load(v1), v1.featureSet(), v1.featureNames(), v1.threshold(),
          v1.metrics(), v1.trainRows(), v1.testRows());
      registry.publish(v2);
      laterChunks.get(1).write().format("delta").mode("append").save(offline);
      live.query().processAllAvailable();

      Dataset<Row> alerts = spark.read().format("delta").load(Alerts.TABLE.path(root));
      Set<String> first = ids(laterChunks.get(0));
      Set<String> second = ids(laterChunks.get(1));
      List<Row> byVersion = alerts.groupBy("model_version").count().collectAsList();
      long v1Later = alerts.where(col("model_version").equalTo(v1.version())).collectAsList().stream()
          .filter(r -> first.contains(r.<String>getAs("event_id"))).count();
      long v2Later = alerts.where(col("model_version").equalTo(v2)).collectAsList().stream()
          .filter(r -> second.contains(r.<String>getAs("event_id"))).count();
      assertTrue(v1Later > 0 && v2Later > 0, "alerts by model version: " + byVersion);
      assertEquals(0, alerts.where(col("model_version").equalTo(v2)).collectAsList().stream()
          .filter(r -> first.contains(r.<String>getAs("event_id"))).count(), "rows scored before v2 keep v1");
    } finally {
      live.query().stop();
    }
  }

  private static Set<String> ids(Dataset<Row> rows) {
    Set<String> out = new HashSet<>();
    rows.select("event_id").collectAsList().forEach(r -> out.add(r.getString(0)));
    return out;
  }

  private static List<String> committedAlertIds(ScoreOptions o, String topic) throws Exception {
    Map<String, Object> p = new HashMap<>(o.kafka().clientProperties());
    p.put("isolation.level", "read_committed");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
        new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      List<String> ids = new java.util.ArrayList<>();
      while (consumer.position(tp) < end) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofSeconds(1))) {
          JsonNode n = JSON.readTree(r.value());
          ids.add(n.get("event_id").asText());
        }
      }
      return ids;
    }
  }
}
