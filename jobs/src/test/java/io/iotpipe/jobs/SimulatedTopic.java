package io.iotpipe.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotpipe.config.Settings;
import io.iotpipe.jobs.simulate.SimulateJob;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.sim.SimulationSummary;
import io.iotpipe.sim.SimulatorOptions;
import io.iotpipe.testing.LocalServicesExtension;
import io.iotpipe.testing.TestSpark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A topic filled by the simulator for one test, with everything needed to check a job's output
 * independently of the job's code: every record sent (from the simulator's records file) and
 * the ground truth of what was broken or duplicated on purpose.
 */
public final class SimulatedTopic {
  private static final ObjectMapper JSON = new ObjectMapper();

  public final String topic;
  public final Path dir;
  public final SimulationSummary summary;
  /** Every record as sent: partition/offset -> the JSON line of the records file. */
  public final Map<String, JsonNode> sent = new TreeMap<>();
  /** Ground-truth lines of records that are not plain valid events, by partition/offset. */
  public final Map<String, JsonNode> truth = new HashMap<>();

  private SimulatedTopic(String topic, Path dir, SimulationSummary summary) {
    this.topic = topic;
    this.dir = dir;
    this.summary = summary;
  }

  /**
   * Simulates a small fleet (2 tenants x 10 devices, 30 minutes, from yesterday 00:00 UTC) into a
   * new topic. The start moves by whole days only, and the simulated values depend on the time of
   * day, so every run gets the same values (recent enough for the broker's retention).
   */
  public static SimulatedTopic create(String prefix, Map<String, String> overrides) {
    String topic = LocalServicesExtension.uniqueTopic(prefix);
    Path dir = TestSpark.newFolder(prefix);
    Instant start = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.DAYS).minus(java.time.Duration.ofDays(1));
    Map<String, String> m = new HashMap<>(Map.of("simulate.start", start.toString()));
    m.putAll(Map.of(
        "kafka.bootstrap-servers", LocalServicesExtension.services().kafkaBootstrapServers(),
        "kafka.events-topic", topic,
        "simulate.tenants", "2",
        "simulate.devices-per-tenant", "10",
        "simulate.duration", "30m",
        "simulate.malformed-fraction", "0.05",
        "simulate.duplicate-fraction", "0.03",
        "simulate.late-fraction", "0.02",
        "simulate.truth-file", dir.resolve("truth.jsonl").toString(),
        "simulate.records-file", dir.resolve("sent.jsonl").toString()));
    m.putAll(overrides);
    Settings s = Settings.of(m);
    SimulationSummary summary = SimulateJob.simulate(KafkaOptions.from(s), SimulatorOptions.from(s));
    SimulatedTopic t = new SimulatedTopic(topic, dir, summary);
    t.load();
    return t;
  }

  private void load() {
    try {
      for (String line : Files.readAllLines(dir.resolve("sent.jsonl"))) {
        JsonNode n = JSON.readTree(line);
        sent.put(key(n), n);
      }
      for (String line : Files.readAllLines(dir.resolve("truth.jsonl"))) {
        JsonNode n = JSON.readTree(line);
        if (n.has("offset")) {
          truth.put(key(n), n);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String key(JsonNode n) {
    return n.get("partition").asInt() + "/" + n.get("offset").asLong();
  }

  private String type(String key) {
    JsonNode t = truth.get(key);
    return t == null ? "event" : t.get("type").asText();
  }

  /**
   * The rows the events table must hold, computed from the bytes sent: every record that is
   * neither malformed nor a duplicate copy, as "tenant|device|event_id|epoch millis|metrics".
   */
  public Set<String> expectedEvents() {
    Set<String> out = new HashSet<>();
    sent.forEach((key, n) -> {
      String type = type(key);
      if (type.equals("event") || type.equals("late")) {
        try {
          JsonNode e = JSON.readTree(n.get("value").asText());
          JsonNode t = e.get("event_time");
          long millis = t.isNumber() ? t.asLong() : OffsetDateTime.parse(t.asText()).toInstant().toEpochMilli();
          Map<String, Double> metrics = new TreeMap<>();
          e.get("metrics").fields().forEachRemaining(f -> {
            if (!f.getValue().isNull()) {
              metrics.put(f.getKey(), f.getValue().asDouble());
            }
          });
          out.add(eventRow(e.get("tenant_id").asText(), e.get("device_id").asText(), e.get("event_id").asText(),
              millis, metrics));
        } catch (IOException ex) {
          throw new UncheckedIOException(ex);
        }
      }
    });
    return out;
  }

  /** partition/offset -> expected reason, for every malformed record sent. */
  public Map<String, String> expectedQuarantine() {
    Map<String, String> out = new TreeMap<>();
    truth.forEach((key, n) -> {
      if (n.get("type").asText().equals("malformed")) {
        out.put(key, n.get("expected_reason").asText());
      }
    });
    return out;
  }

  /** partition/offset of every second copy of an event (a simulated retry). */
  public Set<String> duplicateOffsets() {
    Set<String> out = new HashSet<>();
    truth.forEach((key, n) -> {
      if (n.get("type").asText().equals("duplicate")) {
        out.add(key);
      }
    });
    return out;
  }

  public static String eventRow(String tenant, String device, String eventId, long millis, Map<String, Double> metrics) {
    return tenant + "|" + device + "|" + eventId + "|" + Instant.ofEpochMilli(millis) + "|" + new TreeMap<>(metrics);
  }
}
