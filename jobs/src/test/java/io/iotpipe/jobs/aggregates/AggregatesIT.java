package io.iotpipe.jobs.aggregates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import io.iotpipe.aggregate.WindowReader;
import io.iotpipe.aggregate.WindowServing;
import io.iotpipe.config.Settings;
import io.iotpipe.event.EventJson;
import io.iotpipe.event.TelemetryEvent;
import io.iotpipe.jobs.SimulatedTopic;
import io.iotpipe.jobs.ingest.IngestJob;
import io.iotpipe.jobs.ingest.IngestOptions;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.local.LocalServices;
import io.iotpipe.sim.KafkaRecordSink;
import io.iotpipe.testing.LocalServicesExtension;
import io.iotpipe.testing.TestSpark;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The aggregates job on the real local Kafka, Cassandra and Delta. */
@ExtendWith(LocalServicesExtension.class)
class AggregatesIT {
  private static SimulatedTopic fleet;
  private static String fleetEventsRoot;

  @BeforeAll
  static void simulateAndIngest() throws Exception {
    // 30 minutes across midnight: the hour before it closes, and the days change.
    fleet = SimulatedTopic.create("aggregates-it", Map.of("simulate.start",
        Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofMinutes(20)).toString()));
    fleetEventsRoot = TestSpark.newFolder("events").toString();
    Map<String, String> m = common(fleet.topic, fleetEventsRoot, "unused");
    m.put("ingest.trigger", "available-now");
    IngestJob.Running ingest = IngestJob.startFromOptions(TestSpark.session(), IngestOptions.from(Settings.of(m)));
    ingest.query().awaitTermination();
  }

  static Map<String, String> common(String topic, String deltaRoot, String keyspace) {
    LocalServices s = LocalServicesExtension.services();
    return new HashMap<>(Map.of(
        "kafka.bootstrap-servers", s.kafkaBootstrapServers(),
        "kafka.events-topic", topic,
        "cassandra.contact-points", s.cassandraHost(),
        "cassandra.port", String.valueOf(s.cassandraPort()),
        "cassandra.keyspace", keyspace,
        "delta.root", deltaRoot,
        "checkpoint.root", deltaRoot + "-checkpoints"));
  }

  static AggregatesOptions options(String topic, String deltaRoot, String keyspace, Map<String, String> extra) {
    Map<String, String> m = common(topic, deltaRoot, keyspace);
    m.put("aggregates.trigger", "available-now");
    m.putAll(extra);
    return AggregatesOptions.from(Settings.of(m));
  }

  static String keyspace() {
    return "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  static AggregatesJob.Running runToEnd(AggregatesOptions o) throws Exception {
    AggregatesJob.Running run = AggregatesJob.startFromOptions(TestSpark.session(), o);
    run.query().awaitTermination();
    return run;
  }

  // ---------------------------------------------------------------------------------------------
  // Hand-computed: two devices, a duplicate, a late event, three runs of the job.

  @Test
  void scriptedEventsGiveHandComputedWindows() throws Exception {
    String topic = LocalServicesExtension.uniqueTopic("aggregates-scripted");
    KafkaOptions kafka = KafkaOptions.from(Settings.of(Map.of(
        "kafka.bootstrap-servers", LocalServicesExtension.services().kafkaBootstrapServers(), "kafka.events-topic", topic)));
    KafkaRecordSink.createTopicIfMissing(kafka, topic, 1);
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
    String root = TestSpark.newFolder("scripted").toString();
    String ks = keyspace();
    AggregatesOptions o = options(topic, root, ks, Map.of());

    // Run 1: on-time events and a duplicate. Largest event time t0+80s, watermark t0-40s.
    send(kafka, t0, List.of(
        ev("d1", "e1", t0, 10, 10), ev("d1", "e2", t0, 40, 20), ev("d1", "e2", t0, 40, 20),
        ev("d2", "e3", t0, 30, 30), ev("d1", "e4", t0, 80, 40)));
    AggregatesJob.Running run1 = runToEnd(o);
    assertEquals(1, run1.totals().duplicates());
    // Run 2: d2 at t0+4m moves the watermark to t0+2m: the minutes [t0, t0+1m) and [t0+1m, t0+2m) close.
    send(kafka, t0, List.of(ev("d2", "e5", t0, 240, 50)));
    runToEnd(o);
    // Run 3: e6 for [t0, t0+1m) arrives after that window closed: late for it, on time for the hour.
    send(kafka, t0, List.of(ev("d1", "e6", t0, 50, 60), ev("d1", "e2", t0, 40, 20)));
    AggregatesJob.Running run3 = runToEnd(o);
    assertEquals(1, run3.totals().lateEvents());
    assertEquals(1, run3.totals().duplicates());
    assertEquals(0, run3.totals().droppedByWatermark());

    SparkSession spark = TestSpark.session();
    Map<String, Row> delta = new TreeMap<>();
    for (Row r : spark.read().format("delta").load(root + "/aggregates").collectAsList()) {
      delta.put(r.getAs("level") + "/" + r.getAs("device_id") + "/" + r.getAs("window_size_s") + "/"
          + (r.<java.sql.Timestamp>getAs("window_start").toInstant().getEpochSecond() - t0.getEpochSecond()), r);
    }
    assertEquals(List.of("device/d1/60/0", "device/d1/60/60", "device/d2/60/0", "fleet/null/60/0", "fleet/null/60/60"),
        List.copyOf(delta.keySet()), "final windows in Delta");
    assertStats(delta.get("device/d1/60/0"), 2, 30, 10, 20, 15, 5, 10, 20, 20, 20);
    assertStats(delta.get("device/d2/60/0"), 1, 30, 30, 30, 30, 0, 30, 30, 30, 30);
    assertStats(delta.get("device/d1/60/60"), 1, 40, 40, 40, 40, 0, 40, 40, 40, 40);
    assertStats(delta.get("fleet/null/60/0"), 3, 60, 10, 30, 20, Math.sqrt(200.0 / 3), 10, 20, 20, 30);
    assertEquals(2L, (long) delta.get("fleet/null/60/0").getAs("devices"));

    List<Row> late = spark.read().format("delta").load(root + "/late_events").collectAsList();
    assertEquals(1, late.size());
    assertEquals("e6", late.get(0).getAs("event_id"));
    assertEquals(60L, (long) late.get(0).getAs("window_size_s"));
    assertEquals(60.0, late.get(0).getAs("value"));

    // Cassandra through a plain CQL query (what a dashboard runs).
    try (CqlSession session = o.cassandra().openSession()) {
      WindowReader reader = new WindowReader(session, ks);
      List<WindowReader.ServedWindow> d1 = reader.latestDeviceWindows("t1", "d1", "temperature", 60, 5,
          t0.plusSeconds(600), 2);
      assertEquals(2, d1.size());
      assertEquals(t0.plusSeconds(60), d1.get(0).windowStart(), "newest first");
      assertEquals(40.0, d1.get(0).mean());
      assertEquals(t0, d1.get(1).windowStart());
      assertEquals(2, d1.get(1).count());
      assertEquals(15.0, d1.get(1).mean());
      assertTrue(d1.get(0).isFinal() && d1.get(1).isFinal());
      List<WindowReader.ServedWindow> hour = reader.latestDeviceWindows("t1", "d1", "temperature", 3600, 1,
          t0.plusSeconds(3600), 2);
      assertEquals(3, hour.get(0).count(), "the open hour, merged from its closed minutes: e1, e2, e4 (e6 was late "
          + "for its minute, so it is in no window)");
      assertEquals(70.0 / 3, hour.get(0).mean(), 1e-9);
      assertFalse(hour.get(0).isFinal());

      List<WindowReader.ServedWindow> fleetMinutes = reader.fleetWindows("t1", 60, t0, t0.plusSeconds(600));
      assertEquals(3, fleetMinutes.size());
      assertEquals(t0.plusSeconds(240), fleetMinutes.get(0).windowStart());
      assertFalse(fleetMinutes.get(0).isFinal(), "d2's minute at t0+4m is still open");
      assertEquals(50.0, fleetMinutes.get(0).mean());
      assertEquals(3, fleetMinutes.get(2).count());
      assertEquals(20.0, fleetMinutes.get(2).mean());
      assertEquals(2L, fleetMinutes.get(2).devices());
      assertTrue(fleetMinutes.get(2).isFinal());
      List<WindowReader.ServedWindow> fleetHour = reader.fleetWindows("t1", 3600, t0, t0.plusSeconds(3600));
      assertEquals(1, fleetHour.size());
      assertEquals(4, fleetHour.get(0).count(), "provisional fleet hour: the values of its closed minutes, once");
      assertEquals(25.0, fleetHour.get(0).mean());
    }
    // The same rows through the Spark connector.
    Dataset<Row> viaConnector = spark.read().format("org.apache.spark.sql.cassandra")
        .options(cassandraRead(o, WindowServing.DEVICE_TABLE)).load()
        .where("device_id = 'd1' AND window_size = 60");
    assertEquals(2, viaConnector.count());
    assertEquals(30.0, viaConnector.where("window_start = timestamp_seconds(" + t0.getEpochSecond() + ")")
        .selectExpr("metrics['temperature'].sum").first().getDouble(0));
  }

  private static void assertStats(Row r, long count, double sum, double min, double max, double mean, double stddev,
      double first, double last, double p50, double p99) {
    assertEquals(count, (long) r.getAs("count"));
    assertEquals(sum, (double) r.getAs("sum"), 1e-9);
    assertEquals(min, (double) r.getAs("min"), 1e-9);
    assertEquals(max, (double) r.getAs("max"), 1e-9);
    assertEquals(mean, (double) r.getAs("mean"), 1e-9);
    assertEquals(stddev, (double) r.getAs("stddev"), 1e-9);
    assertEquals(first, (double) r.getAs("first_value"), 1e-9);
    assertEquals(last, (double) r.getAs("last_value"), 1e-9);
    assertEquals(p50, (double) r.getAs("p50"), 1e-9);
    assertEquals(p99, (double) r.getAs("p99"), 1e-9);
  }

  private static TelemetryEvent ev(String device, String id, Instant t0, int seconds, double temperature) {
    return new TelemetryEvent("t1", device, id, t0.plusSeconds(seconds), 1, Map.of("temperature", temperature), Map.of());
  }

  private static void send(KafkaOptions kafka, Instant t0, List<TelemetryEvent> events) throws Exception {
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.clientProperties(), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (TelemetryEvent e : events) {
        p.send(new ProducerRecord<>(kafka.eventsTopic(), null, e.eventTime().toEpochMilli() + 100,
            (e.tenantId() + "/" + e.deviceId()).getBytes(), EventJson.toJson(e, EventJson.TimeFormat.ISO_OFFSET,
                ZoneOffset.UTC))).get();
      }
    }
  }

  static Map<String, String> cassandraRead(AggregatesOptions o, String table) {
    Map<String, String> m = new HashMap<>(o.cassandra().sparkConf());
    m.put("keyspace", o.cassandra().keyspace());
    m.put("table", table);
    return m;
  }

  // ---------------------------------------------------------------------------------------------
  // Stream and batch agree; a crash between the writes of a batch loses and doubles nothing.

  @Test
  void streamEqualsBatchOverTheEventsTable() throws Exception {
    String root = TestSpark.newFolder("stream").toString();
    AggregatesOptions o = options(fleet.topic, root, keyspace(), Map.of("aggregates.max-offsets-per-trigger", "1200"));
    AggregatesJob.Running run = runToEnd(o);
    assertTrue(run.totals().lateEvents() > 0, "the simulated fleet sends late events");
    assertEquals(0, run.totals().droppedByWatermark());
    AggregateAssertions.assertFinalsEqualBatch(fleetEventsRoot, root, o.spec());
    AggregateAssertions.assertEveryEventInAWindowOrLate(fleetEventsRoot, root, o);
  }

  @Test
  void crashBetweenTheDeltaAndTheFleetWritesLosesAndDoublesNothing() throws Exception {
    String root = TestSpark.newFolder("crash").toString();
    AggregatesOptions o = options(fleet.topic, root, keyspace(), Map.of("aggregates.max-offsets-per-trigger", "1200"));
    AtomicBoolean crashed = new AtomicBoolean();
    AggregatesJob.Running crashing = AggregatesJob.startFromOptions(TestSpark.session(), o, batchId -> {
      if (batchId == 2 && crashed.compareAndSet(false, true)) {
        throw new IllegalStateException("injected crash after the serving, log and late writes of batch 2");
      }
    });
    assertThrows(StreamingQueryException.class, crashing.query()::awaitTermination);
    assertTrue(crashed.get());
    runToEnd(o);

    AggregateAssertions.assertFinalsEqualBatch(fleetEventsRoot, root, o.spec());
    // Cassandra holds the same final windows as Delta, and each open fleet window holds every
    // device's values once (the replayed batch did not add its values twice).
    SparkSession spark = TestSpark.session();
    Dataset<Row> deviceRows = AggregateAssertions.served(o.cassandra(), WindowServing.DEVICE_TABLE);
    Dataset<Row> fleetRows = AggregateAssertions.served(o.cassandra(), WindowServing.FLEET_TABLE);
    Dataset<Row> deltaFinals = spark.read().format("delta").load(root + "/aggregates");
    assertEquals(deltaFinals.where("level = 'device'").count(), deviceRows.where("final").count());
    assertEquals(0, deltaFinals.where("level = 'device'").selectExpr("tenant_id", "device_id", "metric",
            "cast(window_size_s AS INT) AS window_size", "window_start", "count", "round(sum, 6) AS sum", "p50", "p99")
        .except(deviceRows.where("final").selectExpr("tenant_id", "device_id", "metric", "window_size",
            "window_start", "count", "round(sum, 6) AS sum", "p50", "p99")).count());
    assertEquals(deltaFinals.where("level = 'fleet'").count(), fleetRows.where("final").count());
    List<Row> openFleet = fleetRows.where("NOT final").collectAsList();
    assertFalse(openFleet.isEmpty());
    Map<String, Long> deviceSums = new HashMap<>();
    for (Row r : deviceRows.where("NOT final").groupBy("tenant_id", "metric", "window_size", "window_start")
        .sum("count").collectAsList()) {
      deviceSums.put(r.get(0) + "/" + r.get(1) + "/" + r.get(2) + "/" + r.get(3), r.getLong(4));
    }
    for (Row f : openFleet) {
      String key = f.getAs("tenant_id") + "/" + f.getAs("metric") + "/" + f.getAs("window_size") + "/"
          + f.getAs("window_start");
      assertEquals(deviceSums.get(key), (Long) f.getAs("count"), "open fleet window " + key);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // One answer, whatever the batching: adversarial input, stream = batch, restarted = uninterrupted.

  @Test
  void adversarialInputGivesTheSameWindowsWhateverTheBatching() throws Exception {
    String topic = LocalServicesExtension.uniqueTopic("aggregates-adversarial");
    KafkaOptions kafka = KafkaOptions.from(Settings.of(Map.of(
        "kafka.bootstrap-servers", LocalServicesExtension.services().kafkaBootstrapServers(), "kafka.events-topic", topic)));
    KafkaRecordSink.createTopicIfMissing(kafka, topic, 2);
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(4));
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    // Three devices every 20 s for 3 hours (180 values per hour, more than 128: percentiles from the sketch).
    for (int s = 0; s < 3 * 3600; s += 20) {
      for (int d = 0; d < 3; d++) {
        records.add(record(topic, d % 2, "ta", "d" + d, "e-" + d + "-" + s, t0.plusSeconds(s),
            20 + d + Math.sin(s / 300.0)));
      }
      if (s == 40) { // the last events of the first minute, tied on one millisecond, in one partition and across two
        records.add(record(topic, 0, "ta", "d9", "tie-a", t0.plusMillis(59_500), 1));
        records.add(record(topic, 0, "ta", "d9", "tie-b", t0.plusMillis(59_500), 2));
        records.add(record(topic, 1, "ta", "d8", "tie-c", t0.plusMillis(59_500), 3));
      }
      if (s == 60) { // one event id twice with different payloads: the first one (Kafka order) counts
        records.add(record(topic, 0, "ta", "d9", "twice", t0.plusSeconds(70), 5));
      }
      if (s == 80) {
        records.add(record(topic, 0, "ta", "d9", "twice", t0.plusSeconds(75), 500));
      }
      if (s == 120) { // the same event id in two tenants: two events
        records.add(record(topic, 1, "ta", "d7", "shared", t0.plusSeconds(130), 7));
        records.add(record(topic, 1, "tb", "d7", "shared", t0.plusSeconds(130), 8));
      }
      if (s == 7200) { // events of the first hour, sent two hours late: late for every window
        for (int late = 0; late < 30; late++) {
          records.add(record(topic, late % 2, "ta", "d0", "late-" + late, t0.plusSeconds(60 + late), 99));
        }
      }
    }
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.clientProperties(), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (ProducerRecord<byte[], byte[]> r : records) {
        p.send(r);
      }
      p.flush();
    }
    String eventsRoot = TestSpark.newFolder("adversarial-events").toString();
    Map<String, String> ingestSettings = common(topic, eventsRoot, "unused");
    ingestSettings.put("ingest.trigger", "available-now");
    IngestJob.startFromOptions(TestSpark.session(), IngestOptions.from(Settings.of(ingestSettings)))
        .query().awaitTermination();

    // Uninterrupted, in batches of 600 records (3 batches, the late events in the second).
    String root = TestSpark.newFolder("adversarial").toString();
    AggregatesOptions o = options(topic, root, keyspace(), Map.of("aggregates.max-offsets-per-trigger", "600"));
    AggregatesJob.Running run = runToEnd(o);
    assertEquals(0, run.totals().droppedByWatermark());
    assertEquals(30, run.totals().lateEvents(), "the events sent two hours late");
    assertEquals(1, run.totals().duplicates());
    AggregateAssertions.assertFinalsEqualBatch(eventsRoot, root, o.spec());
    SparkSession spark = TestSpark.session();
    Dataset<Row> finals = spark.read().format("delta").load(root + "/aggregates");
    Row tied = finals.where("level = 'device' AND device_id = 'd9' AND window_size_s = 60 AND window_start = "
        + "timestamp_seconds(" + t0.getEpochSecond() + ")").first();
    assertEquals(2L, (long) tied.getAs("count"));
    assertEquals(1.0, tied.getAs("first_value"), "tie at the same millisecond: the smaller offset is first");
    assertEquals(2.0, tied.getAs("last_value"), "and the larger one last");
    Row fleetTied = finals.where("level = 'fleet' AND tenant_id = 'ta' AND window_size_s = 60 AND window_start = "
        + "timestamp_seconds(" + t0.getEpochSecond() + ")").first();
    assertEquals(3.0, fleetTied.getAs("last_value"), "across partitions: partition 1 after partition 0");
    Row twice = finals.where("level = 'device' AND device_id = 'd9' AND window_size_s = 60 AND window_start = "
        + "timestamp_seconds(" + (t0.getEpochSecond() + 60) + ")").first();
    assertEquals(1L, (long) twice.getAs("count"));
    assertEquals(5.0, twice.getAs("sum"), "the first record of the event id counts, not the second payload");
    assertEquals(2, finals.where("device_id = 'd7' AND window_size_s = 60").select("tenant_id").distinct().count(),
        "the same event id in two tenants is two events");
    assertTrue(finals.where("level = 'device' AND window_size_s = 3600 AND count > 128").count() >= 3,
        "hours with sketched percentiles were compared");

    // The same topic with a new checkpoint, crashed after the writes of batch 2 (the last) and restarted.
    String restartedRoot = TestSpark.newFolder("adversarial-restarted").toString();
    AggregatesOptions r = options(topic, restartedRoot, keyspace(), Map.of("aggregates.max-offsets-per-trigger", "600"));
    AtomicBoolean crashed = new AtomicBoolean();
    AggregatesJob.Running crashing = AggregatesJob.startFromOptions(spark, r, batchId -> {
      if (batchId == 2 && crashed.compareAndSet(false, true)) {
        throw new IllegalStateException("injected crash in batch 2");
      }
    });
    assertThrows(StreamingQueryException.class, crashing.query()::awaitTermination);
    runToEnd(r);
    Dataset<Row> restarted = spark.read().format("delta").load(restartedRoot + "/aggregates");
    assertEquals(finals.count(), restarted.count());
    AggregateAssertions.assertSameWindows(finals, restarted,
        "a restarted run's windows against an uninterrupted one's (percentiles and sketches included)", true);
    assertEquals(0, spark.read().format("delta").load(root + "/late_events").drop("watermark")
        .exceptAll(spark.read().format("delta").load(restartedRoot + "/late_events").drop("watermark")).count());
  }

  private static ProducerRecord<byte[], byte[]> record(String topic, int partition, String tenant, String device,
      String id, Instant time, double value) {
    TelemetryEvent e = new TelemetryEvent(tenant, device, id, time, 1, Map.of("temperature", value), Map.of());
    return new ProducerRecord<>(topic, partition, time.toEpochMilli() + 100,
        (tenant + "/" + device).getBytes(), EventJson.toJson(e, EventJson.TimeFormat.ISO_OFFSET, ZoneOffset.UTC));
  }
}
