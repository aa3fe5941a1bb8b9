package io.iotpipe.jobs.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.data.UdtValue;
import io.iotpipe.aggregate.AggregateTables;
import io.iotpipe.aggregate.WindowServing;
import io.iotpipe.event.EventJson;
import io.iotpipe.event.TelemetryEvent;
import io.iotpipe.features.FeatureStore;
import io.iotpipe.health.HealthStore;
import io.iotpipe.kafka.KafkaOptions;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * End-to-end latency of one serving job, measured from outside: a probe device (one per run)
 * sends an event every {@code everyMillis} alongside the simulated load, and a reader polls the
 * row the job keeps for that device in Cassandra until it reflects the event. Latency = time the
 * event was handed to the Kafka producer to the first read that sees it (so it includes the
 * trigger interval, the micro-batch and the poll period of {@value #POLL_MILLIS} ms).
 *
 * <p>Each probe's event time is the millisecond it was sent, and every job's row tells the event
 * time it has got to: the last event of the probe's one-minute window (aggregates), the feature
 * time (features), the time its probe alarm was last raised or cleared (device-health; the probe
 * value alternates 1/0 so that every event raises or clears {@link #HEALTH_RULE}). The probe's
 * events all go to one partition (one key), so a job that has got to time t has seen every
 * probe up to t.
 */
final class LatencyProbe implements AutoCloseable {
  static final String TENANT = "tenant-probe";
  static final String METRIC = "temperature";
  static final String PROBE_METRIC = "probe";
  static final long WINDOW_SECONDS = 60;
  static final long POLL_MILLIS = 20;
  /** The device-health rule the probe's events raise and clear; see {@link #healthRules}. */
  static final String HEALTH_RULE = "bench-probe";

  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;
  private final String job;
  private final String device;
  private final CqlSession session;
  private final PreparedStatement read;
  private final long everyMillis;
  /** One probe event: its send time (= its event time), where Kafka put it, when it was seen. */
  static final class Probe {
    final long sentMs;
    volatile int partition = -1;
    volatile long offset = -1;
    long visibleMs = -1;

    Probe(long sentMs) {
      this.sentMs = sentMs;
    }
  }

  /** The probes not seen yet, oldest first. */
  private final Deque<Probe> pending = new ArrayDeque<>();
  private final List<Probe> seen = new ArrayList<>();
  private volatile boolean sending;
  private volatile boolean counting;
  private Thread sender;
  private Thread reader;

  LatencyProbe(KafkaOptions kafka, String topic, CqlSession session, String keyspace, String job, String device,
      long everyMillis) {
    this.job = job;
    this.device = device;
    Map<String, Object> p = new HashMap<>(kafka.clientProperties());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    this.topic = topic;
    this.session = session;
    this.read = session.prepare(switch (job) {
      case "aggregates" -> "SELECT metrics FROM " + keyspace + "." + WindowServing.DEVICE_TABLE
          + " WHERE tenant_id = ? AND device_id = ? AND window_size = ? AND bucket = ? AND window_start = ?";
      case "features" -> "SELECT feature_time FROM " + keyspace + "." + FeatureStore.ONLINE_TABLE
          + " WHERE tenant_id = ? AND device_id = ?";
      case "device-health" -> "SELECT raised_at, cleared_at FROM " + keyspace + "." + HealthStore.ALARMS
          + " WHERE tenant_id = ? AND device_id = ? AND rule = ? LIMIT 1";
      default -> throw new IllegalArgumentException("no latency probe for job " + job);
    });
    this.everyMillis = everyMillis;
  }

  /**
   * The device-health rules of a latency run: the job's own ({@code rules}, HOCON) plus
   * {@link #HEALTH_RULE}, which only the probe's metric can fire.
   */
  static String healthRules(String rules) {
    return rules + "\nrules += { name = " + HEALTH_RULE + ", metric = " + PROBE_METRIC
        + ", condition { above = 0.5 }, severity = info, action = alarm }\n";
  }

  /** Starts sending probes and reading them back. */
  void start() {
    sending = true;
    counting = true;
    sender = new Thread(this::send, "latency-probe-sender");
    reader = new Thread(this::read, "latency-probe-reader");
    sender.setDaemon(true);
    reader.setDaemon(true);
    sender.start();
    reader.start();
  }

  /**
   * Stops counting new probes, waits up to {@code graceMillis} for the counted ones to become
   * visible, then stops. Events keep going out meanwhile: a job that holds events until the
   * watermark passes them needs newer events to release the last probes.
   */
  void stop(long graceMillis) throws InterruptedException {
    counting = false;
    long deadline = System.currentTimeMillis() + graceMillis;
    while (System.currentTimeMillis() < deadline && pendingCount() > 0) {
      Thread.sleep(50);
    }
    sending = false;
    sender.join();
    reader.interrupt();
    reader.join();
  }

  synchronized int pendingCount() {
    return pending.size();
  }

  /** Latencies of the probes that became visible, in milliseconds. */
  synchronized List<Long> latencies() {
    return seen.stream().map(p -> p.visibleMs - p.sentMs).toList();
  }

  /** The probes that became visible. */
  synchronized List<Probe> probes() {
    return List.copyOf(seen);
  }

  synchronized int sent() {
    return seen.size() + pending.size();
  }

  private void send() {
    long next = System.currentTimeMillis();
    long seq = 0;
    while (sending) {
      long now = System.currentTimeMillis();
      if (now < next) {
        sleep(next - now);
        continue;
      }
      next += everyMillis;
      seq++;
      byte[] value = EventJson.toJson(new TelemetryEvent(TENANT, device, UUID.randomUUID().toString(),
          Instant.ofEpochMilli(now), 1, Map.of(METRIC, 21.0, PROBE_METRIC, (double) (seq % 2)), Map.of()),
          EventJson.TimeFormat.EPOCH_MILLIS, ZoneOffset.UTC);
      Probe probe = counting ? new Probe(now) : null;
      if (probe != null) {
        synchronized (this) {
          pending.addLast(probe);
        }
      }
      producer.send(new ProducerRecord<>(topic, null, now, (TENANT + "/" + device).getBytes(StandardCharsets.UTF_8),
          value), (metadata, e) -> {
            if (probe != null && metadata != null) {
              probe.partition = metadata.partition();
              probe.offset = metadata.offset();
            }
          });
    }
    producer.flush();
  }

  private void read() {
    while (!Thread.currentThread().isInterrupted()) {
      Probe oldest;
      synchronized (this) {
        oldest = pending.peekFirst();
      }
      if (oldest != null) {
        long visible = visibleUpTo(oldest.sentMs);
        long now = System.currentTimeMillis();
        synchronized (this) {
          while (!pending.isEmpty() && pending.peekFirst().sentMs <= visible) {
            Probe p = pending.pollFirst();
            p.visibleMs = now;
            seen.add(p);
          }
        }
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /**
   * The event time (epoch ms) up to which the job's row shows the probe's events, read where the
   * probe sent at {@code oldestMs} must appear; -1 when nothing is there yet.
   */
  private long visibleUpTo(long oldestMs) {
    try {
      if (job.equals("aggregates")) { // last_time of the probe metric in its window's row
        Instant window = Instant.ofEpochSecond(oldestMs / 1000 / WINDOW_SECONDS * WINDOW_SECONDS);
        Row w = session.execute(read.bind(TENANT, device, (int) WINDOW_SECONDS,
            AggregateTables.bucket(window, WINDOW_SECONDS), window)).one();
        UdtValue stats = w == null ? null : w.getMap(0, String.class, UdtValue.class).get(METRIC);
        return stats == null || stats.isNull("last_time") ? -1 : stats.getInstant("last_time").toEpochMilli();
      }
      Row r = job.equals("features") ? session.execute(read.bind(TENANT, device)).one()
          : session.execute(read.bind(TENANT, device, HEALTH_RULE)).one();
      if (r == null) {
        return -1;
      }
      long visible = -1;
      for (int i = 0; i < r.getColumnDefinitions().size(); i++) {
        Instant t = r.getInstant(i);
        visible = t == null ? visible : Math.max(visible, t.toEpochMilli());
      }
      return visible;
    } catch (RuntimeException e) {
      return -1; // the table may not exist yet; the next poll asks again
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    sending = false;
    if (reader != null) {
      reader.interrupt();
    }
    producer.close();
  }
}
