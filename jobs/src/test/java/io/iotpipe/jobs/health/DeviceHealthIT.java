package io.iotpipe.jobs.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import io.iotpipe.config.Settings;
import io.iotpipe.event.EventJson;
import io.iotpipe.event.TelemetryEvent;
import io.iotpipe.health.HealthStore;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.kafka.KafkaSource;
import org.apache.spark.sql.streaming.StreamingQueryException;
import io.iotpipe.local.LocalServices;
import io.iotpipe.sim.KafkaRecordSink;
import io.iotpipe.testing.LocalServicesExtension;
import io.iotpipe.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The device-health job on the real local Kafka, Cassandra and Delta. */
@ExtendWith(LocalServicesExtension.class)
class DeviceHealthIT {
  static final String RULES = """
      inactivity { default = 10m, tenants { t9 = 20s }, devices { "t1/d1" = 2m } }
      rules = [
        { name = hot, metric = temperature, condition { above = 60 }, times = 3, severity = critical, action = degrade }
        { name = low-battery, metric = battery, condition { below = 15 }, for = 2m, action = alarm }
      ]
      """;

  record Fixture(String topic, String root, String keyspace, String alertsTopic, DeviceHealthOptions options) {}

  static Fixture fixture(String name, Map<String, String> extra) throws Exception {
    LocalServices s = LocalServicesExtension.services();
    String topic = LocalServicesExtension.uniqueTopic(name);
    String root = TestSpark.newFolder(name).toString();
    Path rules = Path.of(root).resolve("rules.conf");
    Files.writeString(rules, RULES);
    String ks = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    String out = name + "-out-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> m = new HashMap<>(Map.of(
        "kafka.bootstrap-servers", s.kafkaBootstrapServers(), "kafka.events-topic", topic,
        "cassandra.contact-points", s.cassandraHost(), "cassandra.port", String.valueOf(s.cassandraPort()),
        "cassandra.keyspace", ks, "delta.root", root, "checkpoint.root", root + "-checkpoints",
        "device-health.rules-file", rules.toString(), "device-health.topic", out));
    m.putAll(extra);
    DeviceHealthOptions o = DeviceHealthOptions.from(Settings.of(m));
    KafkaRecordSink.createTopicIfMissing(o.kafka(), topic, 1);
    return new Fixture(topic, root, ks, out, o);
  }

  static void send(KafkaOptions kafka, String topic, List<TelemetryEvent> events) throws Exception {
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.clientProperties(), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (TelemetryEvent e : events) {
        p.send(new ProducerRecord<>(topic, null, e.eventTime().toEpochMilli() + 100,
            (e.tenantId() + "/" + e.deviceId()).getBytes(), EventJson.toJson(e, EventJson.TimeFormat.ISO_OFFSET,
                ZoneOffset.UTC))).get();
      }
    }
  }

  static TelemetryEvent ev(String tenant, String device, String id, Instant t0, int seconds, String metric, double v) {
    return new TelemetryEvent(tenant, device, id, t0.plusSeconds(seconds), 1, Map.of(metric, v), Map.of());
  }

  /** History rows as "device seconds-after-t0 what", sorted by time and device. */
  static List<String> history(String root, Instant t0) {
    List<String> out = new ArrayList<>();
    for (Row r : TestSpark.session().read().format("delta").load(HealthStore.HISTORY.path(root))
        .orderBy("time", "device_id", "kind", "rule").collectAsList()) {
      long sec = Duration.between(t0, r.<java.sql.Timestamp>getAs("time").toInstant()).getSeconds();
      out.add(r.getAs("device_id") + " " + sec + " " + ("TRANSITION".equals(r.getAs("kind"))
          ? r.getAs("from_status") + "->" + r.getAs("to_status") + " (" + r.getAs("reason") + ")"
          : r.getAs("rule") + " " + r.getAs("alarm_state")));
    }
    return out;
  }

  @Test
  void scriptedReadingsGiveExactlyTheExpectedTransitionsAndAlarmsAcrossACrash() throws Exception {
    Fixture f = fixture("health-scripted", Map.of("device-health.trigger", "1s"));
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(30));
    AtomicBoolean crashed = new AtomicBoolean();
    DeviceHealthJob.Running run = DeviceHealthJob.startFromOptions(TestSpark.session(), f.options(), batchId -> {
      if (crashed.compareAndSet(false, true)) {
        throw new IllegalStateException("injected crash before the Kafka transaction of batch " + batchId);
      }
    });
    // Phase 1: d1 gets hot (one reading out of order, one duplicate); d2 reports a full battery.
    send(f.options().kafka(), f.topic(), List.of(
        ev("t1", "d1", "a", t0, 0, "temperature", 20), ev("t1", "d1", "b", t0, 10, "temperature", 61),
        ev("t1", "d1", "d", t0, 30, "temperature", 63), ev("t1", "d1", "c", t0, 20, "temperature", 62),
        ev("t1", "d1", "b", t0, 10, "temperature", 61), ev("t1", "d2", "e", t0, 5, "battery", 50)));
    caughtUp(run, f);
    // Phase 2: d2's battery goes low and stays low for two minutes; the watermark passes d1's readings.
    send(f.options().kafka(), f.topic(), List.of(ev("t1", "d2", "f", t0, 300, "battery", 10),
        ev("t1", "d2", "g", t0, 360, "battery", 10), ev("t1", "d2", "h", t0, 421, "battery", 10)));
    // The watermark moves after this batch; the next batch applies d1's readings, and crashes.
    assertThrows(StreamingQueryException.class, () -> run.query().awaitTermination(90_000));
    assertTrue(crashed.get());

    DeviceHealthJob.Running restarted = DeviceHealthJob.startFromOptions(TestSpark.session(), f.options());
    try {
      restartedPhases(restarted, f, t0);
    } finally {
      restarted.query().stop();
    }
  }

  private static void restartedPhases(DeviceHealthJob.Running restarted, Fixture f, Instant t0) throws Exception {
    caughtUp(restarted, f);
    // Phase 3: a late reading for d1 (behind the watermark) changes nothing; d2 recovers.
    send(f.options().kafka(), f.topic(), List.of(ev("t1", "d1", "late", t0, 15, "temperature", 99),
        ev("t1", "d2", "i", t0, 500, "battery", 30)));
    caughtUp(restarted, f);
    send(f.options().kafka(), f.topic(), List.of(ev("t1", "d2", "j", t0, 600, "battery", 40)));
    caughtUp(restarted, f);

    List<String> expected = List.of(
        "d1 0 UNKNOWN->ONLINE (first event)",
        "d2 5 UNKNOWN->ONLINE (first event)",
        "d1 30 hot RAISED",
        "d1 30 ONLINE->DEGRADED (rule hot)",
        "d1 150 DEGRADED->OFFLINE (no event for 2m)",
        "d2 421 low-battery RAISED",
        "d2 500 low-battery CLEARED");
    // d1 goes OFFLINE once the fleet's event time has left it 2 minutes behind: at its next check.
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (history(f.root(), t0).size() < expected.size() && System.nanoTime() < deadline) {
      Thread.sleep(500);
    }
    assertEquals(expected, history(f.root(), t0));

    try (CqlSession session = f.options().cassandra().openSession()) {
      Map<String, String> status = new HashMap<>();
      session.execute("SELECT device_id, status FROM " + f.keyspace() + ".device_status WHERE tenant_id = 't1'")
          .forEach(r -> status.put(r.getString(0), r.getString(1)));
      assertEquals(Map.of("d1", "OFFLINE", "d2", "ONLINE"), status);
      assertEquals(4, session.execute("SELECT * FROM " + f.keyspace() + ".device_transitions WHERE tenant_id = 't1' "
          + "AND device_id IN ('d1', 'd2')").all().size());
      List<com.datastax.oss.driver.api.core.cql.Row> alarms = session.execute("SELECT device_id, rule, active FROM "
          + f.keyspace() + ".device_alarms WHERE tenant_id = 't1'").all();
      assertEquals(2, alarms.size(), "one row per raised alarm");
      Map<String, Boolean> active = new HashMap<>();
      alarms.forEach(r -> active.put(r.getString(0) + "/" + r.getString(1), r.getBoolean(2)));
      assertEquals(Map.of("d1/hot", true, "d2/low-battery", false), active);
    }
    assertEquals(expected.size(), committedRecords(f), "each transition and alarm once in Kafka");
  }

  @Test
  void aDeviceGoesOfflineWhileTheWholeTopicIsSilent() throws Exception {
    Fixture f = fixture("health-silent", Map.of("device-health.trigger", "2s", "device-health.allowed-lateness", "5s"));
    DeviceHealthJob.Running run = DeviceHealthJob.startFromOptions(TestSpark.session(), f.options());
    try {
      Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      send(f.options().kafka(), f.topic(), List.of(ev("t9", "s1", "x1", now, -2, "temperature", 20),
          ev("t9", "s1", "x2", now, 0, "temperature", 21)));
      caughtUp(run, f);
      long lastData = System.nanoTime();
      // From here on nothing arrives; tenant t9's inactivity timeout is 20 s, the trigger 2 s.
      String status = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      try (CqlSession session = f.options().cassandra().openSession()) {
        while (System.nanoTime() < deadline && !"OFFLINE".equals(status)) {
          Thread.sleep(250);
          var row = session.execute("SELECT status, since FROM " + f.keyspace()
              + ".device_status WHERE tenant_id = 't9' AND device_id = 's1'").one();
          status = row == null ? null : row.getString(0);
          if ("OFFLINE".equals(status)) {
            assertEquals(now.plusSeconds(20), row.getInstant(1), "offline since its last event plus the timeout");
          }
        }
      }
      double seconds = (System.nanoTime() - lastData) / 1e9;
      System.out.printf("OFFLINE detected %.1f s after the last data (timeout 20 s, trigger 2 s)%n", seconds);
      assertEquals("OFFLINE", status);
      // The timeout, one trigger interval, and the time the batch takes to write its sinks here.
      assertTrue(seconds <= 20 + 2 + 8, "detected after " + seconds + " s");
    } finally {
      run.query().stop();
    }
  }

  /** processAllAvailable() never returns for a query with processing-time timeouts: see KafkaSource.awaitConsumed. */
  private static void caughtUp(DeviceHealthJob.Running run, Fixture f) throws Exception {
    KafkaSource.awaitConsumed(run.query(), f.options().kafka(), Duration.ofSeconds(90));
  }

  private static int committedRecords(Fixture f) {
    Map<String, Object> p = new HashMap<>(f.options().kafka().clientProperties());
    p.put("isolation.level", "read_committed");
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(f.alertsTopic(), 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      int n = 0;
      while (c.position(tp) < end) {
        n += c.poll(Duration.ofSeconds(1)).count();
      }
      return n;
    }
  }
}
