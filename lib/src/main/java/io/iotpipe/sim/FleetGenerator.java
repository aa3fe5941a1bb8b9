package io.iotpipe.sim;

import io.iotpipe.event.EventJson;
import io.iotpipe.event.EventSchema;
import io.iotpipe.event.TelemetryEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Generates the records a fleet sends, in the order they reach Kafka (by arrival time), from a
 * seed. Each device draws from its own random stream, so a device's events do not depend on how
 * many other devices there are or how their events interleave.
 *
 * <p>What it injects on purpose is reported to {@code truth} as it happens (anomaly episodes and
 * silences up front, spikes as they are generated); the records themselves say whether they are
 * late, duplicated or malformed.
 */
public final class FleetGenerator implements Iterator<SimRecord> {
  private static final long NETWORK_MIN_MS = 5;
  private static final long NETWORK_MAX_MS = 300;
  private static final double SPIKE_MIN_SCALES = 4.0;
  private static final double SPIKE_MAX_SCALES = 8.0;
  private static final MalformedKind[] MALFORMED_KINDS = MalformedKind.values();

  private final SimulatorOptions o;
  private final Consumer<Map<String, Object>> truth;
  private final Instant end;
  private final PriorityQueue<Device> devices =
      new PriorityQueue<>(Comparator.comparing((Device d) -> d.next).thenComparingInt(d -> d.index));
  private final PriorityQueue<SimRecord> outbox = new PriorityQueue<>(
      Comparator.comparing(SimRecord::arrival).thenComparingLong(SimRecord::sequence));
  private long sequence;

  public FleetGenerator(SimulatorOptions options, Consumer<Map<String, Object>> truth) {
    this.o = options;
    this.truth = truth;
    this.end = o.start().plus(o.duration());
    List<MetricProfile> metrics = MetricProfile.CATALOG.subList(0, o.metrics());
    int index = 0;
    for (int t = o.firstTenant(); t < o.firstTenant() + o.tenants(); t++) {
      // Tenants sit in different time zones; their ISO timestamps carry that offset.
      ZoneOffset offset = ZoneOffset.ofHours(((t - 1) * 5) % 24 - 11);
      for (int d = 1; d <= o.devicesPerTenant(); d++) {
        Device dev = new Device(index++, String.format("tenant-%02d", t), String.format("dev-%05d", d),
            offset, metrics);
        if (dev.next.isBefore(end)) {
          devices.add(dev);
        }
      }
    }
  }

  @Override
  public boolean hasNext() {
    fill();
    return !outbox.isEmpty();
  }

  @Override
  public SimRecord next() {
    fill();
    if (outbox.isEmpty()) {
      throw new NoSuchElementException();
    }
    return outbox.poll();
  }

  /**
   * Generates until the earliest pending record cannot be overtaken: every record still to come
   * arrives no earlier than its event time, which is no earlier than the next device's turn.
   */
  private void fill() {
    while (!devices.isEmpty() && (outbox.isEmpty() || !devices.peek().next.isAfter(outbox.peek().arrival()))) {
      Device d = devices.poll();
      d.emit();
      if (d.next.isBefore(end)) {
        devices.add(d);
      }
    }
  }

  private static Instant between(SplittableRandom rng, Instant from, Instant to) {
    long span = Duration.between(from, to).toMillis();
    return from.plusMillis(span <= 0 ? 0 : rng.nextLong(span + 1));
  }

  private static long between(SplittableRandom rng, Duration min, Duration max) {
    long lo = min.toMillis();
    long hi = max.toMillis();
    return hi <= lo ? lo : lo + rng.nextLong(hi - lo + 1);
  }

  private static Map<String, Object> line(String type, Device d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type);
    m.put("tenant_id", d.tenantId);
    m.put("device_id", d.deviceId);
    return m;
  }

  /** A window of time in which one metric of a device misbehaves. */
  private record Episode(int metric, Instant start, Instant end, double magnitude) {
    boolean covers(Instant t) {
      return !t.isBefore(start) && t.isBefore(end);
    }
  }

  private final class Device {
    final int index;
    final String tenantId;
    final String deviceId;
    final String key;
    final ZoneOffset offset;
    final EventJson.TimeFormat timeFormat;
    final List<MetricProfile> metrics;
    final double[] base;
    final double[] phase;
    final SplittableRandom rng;
    Instant next;
    Instant silentFrom;
    Instant silentTo;
    Episode drift;
    Episode stuck;
    Double stuckValue;

    Device(int index, String tenantId, String deviceId, ZoneOffset offset, List<MetricProfile> metrics) {
      this.index = index;
      this.tenantId = tenantId;
      this.deviceId = deviceId;
      this.key = tenantId + "/" + deviceId;
      this.offset = offset;
      this.metrics = metrics;
      this.rng = new SplittableRandom(o.seed() * 1_000_003L + index);
      this.timeFormat = rng.nextDouble() < 0.3 ? EventJson.TimeFormat.EPOCH_MILLIS : EventJson.TimeFormat.ISO_OFFSET;
      this.base = new double[metrics.size()];
      this.phase = new double[metrics.size()];
      for (int i = 0; i < metrics.size(); i++) {
        base[i] = metrics.get(i).base() * (1 + (rng.nextDouble() - 0.5) * 0.2);
        phase[i] = rng.nextDouble() * 2 * Math.PI;
      }
      this.next = o.start().plusMillis(rng.nextLong(o.interval().toMillis()));
      planEpisodes();
    }

    private void planEpisodes() {
      Instant early = o.start().plus(o.duration().multipliedBy(10).dividedBy(100));
      Instant late = o.start().plus(o.duration().multipliedBy(80).dividedBy(100));
      if (rng.nextDouble() < o.silentFraction()) {
        silentFrom = between(rng, early, late);
        silentTo = rng.nextBoolean() ? end
            : min(end, silentFrom.plus(Duration.ofMinutes(15 + rng.nextLong(46))));
        Map<String, Object> m = line("silence", this);
        m.put("from", silentFrom.toString());
        m.put("to", silentTo.toString());
        m.put("until_end", silentTo.equals(end));
        truth.accept(m);
      }
      if (rng.nextDouble() < o.driftFraction()) {
        int metric = rng.nextInt(metrics.size());
        Instant s = between(rng, early, late);
        double magnitude = (3 + rng.nextDouble() * 3) * metrics.get(metric).scale() * (rng.nextBoolean() ? 1 : -1);
        drift = new Episode(metric, s, min(end, s.plus(Duration.ofMinutes(30 + rng.nextLong(61)))), magnitude);
        truth.accept(episodeLine("drift", drift));
      }
      if (rng.nextDouble() < o.stuckFraction()) {
        int metric = rng.nextInt(metrics.size());
        Instant s = between(rng, early, late);
        stuck = new Episode(metric, s, min(end, s.plus(Duration.ofMinutes(20 + rng.nextLong(41)))), 0);
        truth.accept(episodeLine("stuck", stuck));
      }
    }

    private Map<String, Object> episodeLine(String kind, Episode e) {
      Map<String, Object> m = line("anomaly", this);
      m.put("kind", kind);
      m.put("metric", metrics.get(e.metric).name());
      m.put("start", e.start.toString());
      m.put("end", e.end.toString());
      if (e.magnitude != 0) {
        m.put("magnitude", e.magnitude);
      }
      return m;
    }

    /** The event due at {@link #next}, its copies, and the step to the one after. */
    void emit() {
      Instant t = next;
      long step = o.interval().toMillis();
      // Devices report roughly, not exactly, every interval.
      next = t.plusMillis(Math.max(1, step + (long) ((rng.nextDouble() - 0.5) * 0.1 * step)));
      if (silentFrom != null && !t.isBefore(silentFrom) && t.isBefore(silentTo)) {
        return;
      }
      String eventId = new UUID(rng.nextLong(), rng.nextLong()).toString();
      Map<String, Double> values = readings(t, eventId);
      TelemetryEvent event = new TelemetryEvent(tenantId, deviceId, eventId, t,
          EventSchema.CURRENT_VERSION, values, Map.of("firmware", "1." + (index % 4) + ".0"));
      byte[] json = EventJson.toJson(event, timeFormat, offset);

      double u = rng.nextDouble();
      SimRecord.Kind kind = SimRecord.Kind.EVENT;
      long delay;
      if (u < o.lateFraction()) {
        kind = SimRecord.Kind.LATE_EVENT;
        delay = between(rng, o.lateMinDelay(), o.lateMaxDelay());
      } else if (u < o.lateFraction() + o.outOfOrderFraction()) {
        delay = between(rng, Duration.ofSeconds(1), o.outOfOrderMaxDelay());
      } else {
        delay = NETWORK_MIN_MS + rng.nextLong(NETWORK_MAX_MS - NETWORK_MIN_MS + 1);
      }
      Instant arrival = t.plusMillis(delay);
      if (rng.nextDouble() < o.malformedFraction()) {
        MalformedKind m = MALFORMED_KINDS[rng.nextInt(MALFORMED_KINDS.length)];
        outbox.add(new SimRecord(key, m.corrupt(json, arrival), arrival, t, tenantId, deviceId, eventId,
            SimRecord.Kind.MALFORMED, m, delay, sequence++));
        return;
      }
      outbox.add(new SimRecord(key, json, arrival, t, tenantId, deviceId, eventId, kind, null, delay, sequence++));
      if (rng.nextDouble() < o.duplicateFraction()) {
        // A retry: the same bytes again, a little later.
        long retry = 500 + rng.nextLong(29_501);
        outbox.add(new SimRecord(key, json, arrival.plusMillis(retry), t, tenantId, deviceId, eventId,
            SimRecord.Kind.DUPLICATE, null, delay + retry, sequence++));
      }
    }

    private Map<String, Double> readings(Instant t, String eventId) {
      double dayFraction = (t.getEpochSecond() % 86_400) / 86_400.0;
      double[] v = new double[metrics.size()];
      for (int i = 0; i < v.length; i++) {
        MetricProfile p = metrics.get(i);
        v[i] = base[i] + p.dailyAmplitude() * Math.sin(2 * Math.PI * dayFraction + phase[i])
            + rng.nextGaussian() * p.noise();
      }
      if (drift != null && drift.covers(t)) {
        double progress = (double) Duration.between(drift.start, t).toMillis()
            / Math.max(1, Duration.between(drift.start, drift.end).toMillis());
        v[drift.metric] += drift.magnitude * progress;
      }
      if (stuck != null && stuck.covers(t)) {
        if (stuckValue == null) {
          stuckValue = round(v[stuck.metric]);
        }
        v[stuck.metric] = stuckValue;
      }
      int spiked = -1;
      if (rng.nextDouble() < o.spikeRate()) {
        spiked = rng.nextInt(v.length);
        double size = (SPIKE_MIN_SCALES + rng.nextDouble() * (SPIKE_MAX_SCALES - SPIKE_MIN_SCALES))
            * metrics.get(spiked).scale() * (rng.nextBoolean() ? 1 : -1);
        v[spiked] += size;
        Map<String, Object> m = line("anomaly", this);
        m.put("kind", "spike");
        m.put("metric", metrics.get(spiked).name());
        m.put("start", t.toString());
        m.put("end", t.toString());
        m.put("event_id", eventId);
        m.put("magnitude", size);
        truth.accept(m);
      }
      int missing = -1;
      if (v.length > 1 && rng.nextDouble() < o.missingMetricFraction()) {
        missing = rng.nextInt(v.length);
        if (missing == spiked) {
          missing = -1;
        }
      }
      Map<String, Double> out = new LinkedHashMap<>();
      for (int i = 0; i < v.length; i++) {
        if (i != missing) {
          out.put(metrics.get(i).name(), round(v[i]));
        }
      }
      return out;
    }
  }

  private static double round(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  /** All records at once, for tests and small runs. */
  public static List<SimRecord> all(SimulatorOptions options, Consumer<Map<String, Object>> truth) {
    List<SimRecord> out = new ArrayList<>();
    new FleetGenerator(options, truth).forEachRemaining(out::add);
    return out;
  }
}
