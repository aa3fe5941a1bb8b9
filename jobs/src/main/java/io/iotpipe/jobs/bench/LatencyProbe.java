package io.iotpipe.jobs.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.iotpipe.aggregate.AggregateTables;
import io.iotpipe.event.EventJson;
import io.iotpipe.event.TelemetryEvent;
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
 * End-to-end latency of the aggregates job, measured from outside: a probe device (one per run)
 * sends an event
 * every {@code everyMillis} alongside the simulated load, and a reader polls the probe's
 * one-minute window in Cassandra until its count includes that event. Latency = time the event
 * was handed to the Kafka producer to the first read that sees it (so it includes the trigger
 * interval, the micro-batch and the poll period of {@value #POLL_MILLIS} ms).
 *
 * <p>The probe's events all go to one partition (one key), so the job counts them in the order
 * they were sent: a window count of k means the first k probes of that window are visible.
 */
final class LatencyProbe implements AutoCloseable {
  static final String TENANT = "tenant-probe";
  static final String METRIC = "temperature";
  static final long WINDOW_SECONDS = 60;
  static final long POLL_MILLIS = 20;

  private record Probe(long sentMs, Instant windowStart, int seqInWindow) {}

  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;
  private final String device;
  private final CqlSession session;
  private final PreparedStatement read;
  private final long everyMillis;
  private final Deque<Probe> pending = new ArrayDeque<>();
  private final List<Long> latencies = new ArrayList<>();
  private final Map<Instant, Integer> sentPerWindow = new HashMap<>();
  private volatile boolean sending;
  private Thread sender;
  private Thread reader;

  LatencyProbe(KafkaOptions kafka, String topic, CqlSession session, String keyspace, String device,
      long everyMillis) {
    this.device = device;
    Map<String, Object> p = new HashMap<>(kafka.clientProperties());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    this.topic = topic;
    this.session = session;
    this.read = session.prepare("SELECT count FROM " + keyspace + "." + AggregateTables.DEVICE_WINDOWS
        + " WHERE tenant_id = ? AND device_id = ? AND metric = ? AND window_size = ? AND bucket = ? AND window_start = ?");
    this.everyMillis = everyMillis;
  }

  /** Starts sending probes and reading them back. */
  void start() {
    sending = true;
    sender = new Thread(this::send, "latency-probe-sender");
    reader = new Thread(this::read, "latency-probe-reader");
    sender.setDaemon(true);
    reader.setDaemon(true);
    sender.start();
    reader.start();
  }

  /** Stops sending, waits up to {@code graceMillis} for the last probes to become visible, then stops reading. */
  void stop(long graceMillis) throws InterruptedException {
    sending = false;
    sender.join();
    long deadline = System.currentTimeMillis() + graceMillis;
    while (System.currentTimeMillis() < deadline && pendingCount() > 0) {
      Thread.sleep(50);
    }
    reader.interrupt();
    reader.join();
  }

  synchronized int pendingCount() {
    return pending.size();
  }

  /** Latencies of the probes that became visible, in milliseconds. */
  synchronized List<Long> latencies() {
    return List.copyOf(latencies);
  }

  synchronized int sent() {
    return latencies.size() + pending.size();
  }

  private void send() {
    long next = System.currentTimeMillis();
    while (sending) {
      long now = System.currentTimeMillis();
      if (now < next) {
        sleep(next - now);
        continue;
      }
      next += everyMillis;
      Instant eventTime = Instant.ofEpochMilli(now);
      Instant window = Instant.ofEpochSecond(eventTime.getEpochSecond() / WINDOW_SECONDS * WINDOW_SECONDS);
      byte[] value = EventJson.toJson(new TelemetryEvent(TENANT, device, UUID.randomUUID().toString(), eventTime, 1,
          Map.of(METRIC, 21.0), Map.of()), EventJson.TimeFormat.EPOCH_MILLIS, ZoneOffset.UTC);
      synchronized (this) {
        int seq = sentPerWindow.merge(window, 1, Integer::sum);
        pending.addLast(new Probe(now, window, seq));
      }
      producer.send(new ProducerRecord<>(topic, null, now, (TENANT + "/" + device).getBytes(StandardCharsets.UTF_8),
          value));
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
        long visible = count(oldest.windowStart());
        long now = System.currentTimeMillis();
        synchronized (this) {
          while (!pending.isEmpty() && pending.peekFirst().windowStart().equals(oldest.windowStart())
              && pending.peekFirst().seqInWindow() <= visible) {
            latencies.add(now - pending.pollFirst().sentMs());
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

  private long count(Instant windowStart) {
    try {
      Row r = session.execute(read.bind(TENANT, device, METRIC, (int) WINDOW_SECONDS,
          AggregateTables.bucket(windowStart, WINDOW_SECONDS), windowStart)).one();
      return r == null ? 0 : r.getLong("count");
    } catch (RuntimeException e) {
      return 0; // the table may not exist yet; the next poll asks again
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
