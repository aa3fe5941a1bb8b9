package io.iotpipe.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotpipe.progress.ProgressLog;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a simulation: generates the fleet's records, sends them (at a target rate or as fast as
 * the sink takes them), writes the ground truth and optionally every record sent, and logs its
 * progress.
 *
 * <p>The ground truth is JSON lines, one object per line with a {@code type}: {@code run} (the
 * options), {@code anomaly} (spike, drift or stuck, with tenant, device, metric, start, end),
 * {@code silence}, {@code malformed} (kind, expected reason, Kafka partition and offset),
 * {@code duplicate} and {@code late} (event id, Kafka partition and offset), and last
 * {@code summary} with the counts a correct ingest must reproduce.
 */
public final class FleetSimulator {
  private static final Logger LOG = LoggerFactory.getLogger(FleetSimulator.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private FleetSimulator() {}

  public static SimulationSummary run(SimulatorOptions o, RecordSink sink, String topic) {
    Path truthPath = Path.of(o.truthFile());
    try {
      Files.createDirectories(truthPath.toAbsolutePath().getParent());
      try (JsonLines truth = new JsonLines(truthPath);
           JsonLines records = o.recordsFile().map(f -> new JsonLines(Path.of(f))).orElse(null)) {
        return send(o, sink, topic, truth, records);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static SimulationSummary send(SimulatorOptions o, RecordSink sink, String topic,
      JsonLines truth, JsonLines records) {
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("type", "run");
    run.put("topic", topic);
    run.put("options", describe(o));
    truth.write(run);

    AtomicLong anomalies = new AtomicLong();
    FleetGenerator generator = new FleetGenerator(o, line -> {
      if ("anomaly".equals(line.get("type"))) {
        anomalies.incrementAndGet();
      }
      truth.write(line);
    });
    long sent = 0;
    long valid = 0;
    long late = 0;
    long duplicates = 0;
    Map<MalformedKind, Long> malformed = new EnumMap<>(MalformedKind.class);
    ProgressLog progress = new ProgressLog(LOG, "simulate: records sent", estimate(o), Duration.ofSeconds(5));
    long startNanos = System.nanoTime();
    while (generator.hasNext()) {
      SimRecord r = generator.next();
      pace(o.rate(), sent, startNanos);
      sink.send(r, (partition, offset) -> {
        if (r.kind() != SimRecord.Kind.EVENT) {
          truth.write(recordLine(r, partition, offset));
        }
        if (records != null) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("partition", partition);
          m.put("offset", offset);
          m.put("timestamp", r.arrival().toEpochMilli());
          m.put("key", r.key());
          m.put("value", new String(r.value(), StandardCharsets.UTF_8));
          records.write(m);
        }
      });
      sent++;
      switch (r.kind()) {
        case EVENT -> valid++;
        case LATE_EVENT -> {
          valid++;
          late++;
        }
        case DUPLICATE -> duplicates++;
        case MALFORMED -> malformed.merge(r.malformed(), 1L, Long::sum);
      }
      progress.update(sent, "event time " + r.eventTime());
    }
    sink.flush();
    progress.finish(sent, null);

    SimulationSummary summary = new SimulationSummary(sent, valid, late, duplicates, malformed,
        anomalies.get(), topic, o.truthFile(), o.recordsFile().orElse(null));
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("type", "summary");
    s.put("records_sent", sent);
    s.put("valid_events", valid);
    s.put("late_events", late);
    s.put("duplicates", duplicates);
    s.put("malformed", malformed);
    s.put("anomalies", anomalies.get());
    s.put("expected", Map.of(
        "events_valid", valid,
        "events_quarantined", summary.malformedTotal(),
        "duplicates_dropped", duplicates));
    truth.write(s);
    return summary;
  }

  private static Map<String, Object> recordLine(SimRecord r, int partition, long offset) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", switch (r.kind()) {
      case LATE_EVENT -> "late";
      case DUPLICATE -> "duplicate";
      default -> "malformed";
    });
    if (r.malformed() != null) {
      m.put("kind", r.malformed().name());
      m.put("expected_reason", r.malformed().expectedReason().name());
    }
    m.put("tenant_id", r.tenantId());
    m.put("device_id", r.deviceId());
    m.put("event_id", r.eventId());
    m.put("event_time", r.eventTime().toString());
    m.put("arrival", r.arrival().toString());
    m.put("delay_ms", r.delayMillis());
    m.put("partition", partition);
    m.put("offset", offset);
    return m;
  }

  /** Sleeps as needed to hold the target rate (0 = no limit). */
  private static void pace(double rate, long sent, long startNanos) {
    if (rate <= 0 || sent % 64 != 0) {
      return;
    }
    long due = startNanos + (long) (sent / rate * 1e9);
    long wait = due - System.nanoTime();
    if (wait > 0) {
      try {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  /** The options as text values, for the ground truth's run line. */
  private static Map<String, String> describe(SimulatorOptions o) {
    Map<String, String> m = new LinkedHashMap<>();
    for (java.lang.reflect.RecordComponent c : SimulatorOptions.class.getRecordComponents()) {
      try {
        m.put(c.getName(), String.valueOf(c.getAccessor().invoke(o)));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
    return m;
  }

  private static long estimate(SimulatorOptions o) {
    return (long) (o.expectedEvents() * (1 + o.duplicateFraction()) * (1 - o.silentFraction() / 4));
  }

  /** A JSON-lines file that producer callbacks on other threads may write to. */
  private static final class JsonLines implements AutoCloseable {
    private final Writer out;

    JsonLines(Path path) {
      try {
        Path parent = path.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        this.out = new BufferedWriter(Files.newBufferedWriter(path, StandardCharsets.UTF_8), 1 << 16);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    synchronized void write(Object o) {
      try {
        out.write(JSON.writeValueAsString(o));
        out.write('\n');
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public synchronized void close() {
      try {
        out.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
