package io.iotpipe.sim;

import io.iotpipe.config.InvalidOptionException;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/** What fleet to simulate, for how long, how fast, and what to get wrong on purpose. */
public record SimulatorOptions(
    long seed,
    int tenants,
    int firstTenant,
    int devicesPerTenant,
    int metrics,
    Instant start,
    Duration duration,
    Duration interval,
    double rate,
    int partitions,
    double outOfOrderFraction,
    Duration outOfOrderMaxDelay,
    double lateFraction,
    Duration lateMinDelay,
    Duration lateMaxDelay,
    double duplicateFraction,
    double malformedFraction,
    double spikeRate,
    double driftFraction,
    double stuckFraction,
    double silentFraction,
    double missingMetricFraction,
    String truthFile,
    Optional<String> recordsFile) {

  static final String NS = "simulate.";
  public static final OptionKey<Long> SEED = OptionKey.longInt(NS + "seed", 42L, Long.MIN_VALUE, Long.MAX_VALUE,
      "random seed: the same seed and start give the same records");
  public static final OptionKey<Integer> TENANTS = OptionKey.integer(NS + "tenants", 2, 1, 10_000, "number of tenants");
  public static final OptionKey<Integer> FIRST_TENANT = OptionKey.integer(NS + "first-tenant", 1, 1, 10_000,
      "number of the first tenant (tenant-NN): simulators started side by side with different first tenants "
          + "send different devices");
  public static final OptionKey<Integer> DEVICES = OptionKey.integer(NS + "devices-per-tenant", 25, 1, 10_000_000,
      "devices per tenant");
  public static final OptionKey<Integer> METRICS = OptionKey.integer(NS + "metrics", 4, 1,
      MetricProfile.CATALOG.size(), "metrics per event (temperature, humidity, pressure, battery, ...)");
  public static final OptionKey<Instant> START = OptionKey.instant(NS + "start",
      "event time of the first events (default: now minus the duration and late-max-delay, so that no record "
          + "arrives in the future)");
  public static final OptionKey<Duration> DURATION = OptionKey.duration(NS + "duration", Duration.ofHours(1),
      Duration.ofSeconds(1), "span of simulated event time");
  public static final OptionKey<Duration> INTERVAL = OptionKey.duration(NS + "interval", Duration.ofSeconds(10),
      Duration.ofMillis(10), "time between two events of one device");
  public static final OptionKey<Double> RATE = OptionKey.positiveNumber(NS + "rate", 0.0,
      "records per second to send; 0 sends as fast as Kafka takes them");
  public static final OptionKey<Integer> PARTITIONS = OptionKey.integer(NS + "partitions", 4, 1, 10_000,
      "partitions of the topic when the simulator creates it");
  public static final OptionKey<Double> OUT_OF_ORDER = OptionKey.fraction(NS + "out-of-order-fraction", 0.05,
      "fraction of events delayed by up to out-of-order-max-delay");
  public static final OptionKey<Duration> OUT_OF_ORDER_MAX = OptionKey.duration(NS + "out-of-order-max-delay",
      Duration.ofSeconds(30), Duration.ofMillis(1), "largest delay of an out-of-order event");
  public static final OptionKey<Double> LATE = OptionKey.fraction(NS + "late-fraction", 0.01,
      "fraction of events that arrive late, between late-min-delay and late-max-delay after their time");
  public static final OptionKey<Duration> LATE_MIN = OptionKey.duration(NS + "late-min-delay", Duration.ofMinutes(10),
      Duration.ofSeconds(1), "shortest delay of a late event");
  public static final OptionKey<Duration> LATE_MAX = OptionKey.duration(NS + "late-max-delay", Duration.ofMinutes(30),
      Duration.ofSeconds(1), "longest delay of a late event");
  public static final OptionKey<Double> DUPLICATES = OptionKey.fraction(NS + "duplicate-fraction", 0.01,
      "fraction of events sent twice (same bytes, same event_id), as a device retry would");
  public static final OptionKey<Double> MALFORMED = OptionKey.fraction(NS + "malformed-fraction", 0.005,
      "fraction of events sent broken, spread over the malformed kinds");
  public static final OptionKey<Double> SPIKES = OptionKey.fraction(NS + "spike-rate", 0.001,
      "chance per event that one metric spikes");
  public static final OptionKey<Double> DRIFT = OptionKey.fraction(NS + "drift-fraction", 0.05,
      "fraction of devices with one drifting metric episode");
  public static final OptionKey<Double> STUCK = OptionKey.fraction(NS + "stuck-fraction", 0.05,
      "fraction of devices with one stuck-sensor episode");
  public static final OptionKey<Double> SILENT = OptionKey.fraction(NS + "silent-fraction", 0.05,
      "fraction of devices that go silent for a while (some until the end)");
  public static final OptionKey<Double> MISSING_METRIC = OptionKey.fraction(NS + "missing-metric-fraction", 0.01,
      "chance per event that one metric is left out");
  public static final OptionKey<String> TRUTH_FILE = OptionKey.location(NS + "truth-file",
      "work/sim/ground-truth.jsonl", "where to write the ground truth (JSON lines)");
  public static final OptionKey<String> RECORDS_FILE = OptionKey.location(NS + "records-file", null,
      "if set, every record sent is also written here (JSON lines)");

  public static final List<OptionKey<?>> KEYS = List.of(SEED, TENANTS, FIRST_TENANT, DEVICES, METRICS, START, DURATION,
      INTERVAL, RATE, PARTITIONS, OUT_OF_ORDER, OUT_OF_ORDER_MAX, LATE, LATE_MIN, LATE_MAX, DUPLICATES,
      MALFORMED, SPIKES, DRIFT, STUCK, SILENT, MISSING_METRIC, TRUTH_FILE, RECORDS_FILE);

  public static SimulatorOptions from(Settings s) {
    Duration duration = s.get(DURATION);
    // Arrival times become Kafka record timestamps; a broker refuses those too far in the future.
    Instant start = s.find(START)
        .orElseGet(() -> Instant.now().minus(duration).minus(s.get(LATE_MAX)).truncatedTo(ChronoUnit.SECONDS));
    SimulatorOptions o = new SimulatorOptions(s.get(SEED), s.get(TENANTS), s.get(FIRST_TENANT), s.get(DEVICES), s.get(METRICS),
        start, duration, s.get(INTERVAL), s.get(RATE), s.get(PARTITIONS), s.get(OUT_OF_ORDER),
        s.get(OUT_OF_ORDER_MAX), s.get(LATE), s.get(LATE_MIN), s.get(LATE_MAX), s.get(DUPLICATES),
        s.get(MALFORMED), s.get(SPIKES), s.get(DRIFT), s.get(STUCK), s.get(SILENT), s.get(MISSING_METRIC),
        s.get(TRUTH_FILE), s.find(RECORDS_FILE));
    if (o.lateMaxDelay.compareTo(o.lateMinDelay) < 0) {
      throw new InvalidOptionException(LATE_MAX.name(), "is shorter than --" + LATE_MIN.name());
    }
    if (o.outOfOrderFraction + o.lateFraction > 1.0) {
      throw new InvalidOptionException(LATE.name(), "plus --" + OUT_OF_ORDER.name() + " exceeds 1");
    }
    return o;
  }

  public long deviceCount() {
    return (long) tenants * devicesPerTenant;
  }

  /** Events the fleet would report without silences: for progress estimates. */
  public long expectedEvents() {
    return deviceCount() * Math.max(1, duration.toMillis() / interval.toMillis());
  }
}
