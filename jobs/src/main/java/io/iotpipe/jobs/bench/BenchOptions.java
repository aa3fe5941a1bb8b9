package io.iotpipe.jobs.bench;

import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.kafka.KafkaOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** The size and shape of a benchmark run (see the bench README). */
public record BenchOptions(
    KafkaOptions kafka,
    CassandraOptions cassandra,
    long events,
    int partitions,
    int devices,
    List<String> jobs,
    long maxBatch,
    List<Double> rates,
    List<String> latencyJobs,
    Duration latencyLateness,
    Duration rateDuration,
    Duration warmup,
    int liveDevices,
    Duration latencyTrigger,
    String out,
    String childHeap,
    boolean profile,
    java.util.Map<String, String> sparkConf) {

  /** The streaming jobs that read the events topic, so the benchmark can run them over it. */
  static final Set<String> STREAMING_JOBS = Set.of("ingest", "aggregates", "features", "device-health");
  /** The streaming jobs that write to Cassandra, so the latency runs can see their rows appear. */
  static final Set<String> SERVING_JOBS = Set.of("aggregates", "features", "device-health");

  static final String NS = "bench.";
  public static final OptionKey<Long> EVENTS = OptionKey.longInt(NS + "events", 1_000_000L, 1_000, Long.MAX_VALUE,
      "simulated events to preload into the benchmark topic (about; the simulator's mix of duplicates and "
          + "malformed records included)");
  public static final OptionKey<Integer> PARTITIONS = OptionKey.integer(NS + "partitions", 4, 1, 1_000,
      "partitions of the benchmark topics");
  public static final OptionKey<Integer> DEVICES = OptionKey.integer(NS + "devices", 10_000, 2, 10_000_000,
      "devices in the simulated fleet of the preloaded topic (two tenants)");
  public static final OptionKey<List<String>> JOBS = jobList(NS + "jobs",
      List.of("ingest", "aggregates", "features", "device-health"), STREAMING_JOBS,
      "streaming jobs to run over the preloaded topic");
  public static final OptionKey<Long> MAX_BATCH = OptionKey.longInt(NS + "max-batch", 200_000L, 1, Long.MAX_VALUE,
      "most records per micro-batch in the available-now runs (the jobs' max-offsets-per-trigger)");
  public static final OptionKey<List<Double>> RATES = new OptionKey<>(NS + "rates", "events/s, comma separated",
      List.of(1_000.0, 10_000.0, 50_000.0),
      "fixed input rates of the latency runs (empty: no latency runs)", s -> {
        List<Double> rates = Arrays.stream(s.split(",")).map(String::trim).filter(r -> !r.isEmpty())
            .map(Double::parseDouble).toList();
        if (rates.stream().anyMatch(r -> r <= 0)) {
          throw new IllegalArgumentException("rates must be positive");
        }
        return rates;
      });
  public static final OptionKey<List<String>> LATENCY_JOBS = jobList(NS + "latency-jobs",
      List.of("aggregates", "features", "device-health"), SERVING_JOBS, "jobs whose latency is measured at each rate");
  public static final OptionKey<Duration> LATENCY_LATENESS = OptionKey.duration(NS + "latency-lateness",
      Duration.ofSeconds(5), Duration.ZERO, "allowed lateness of features and device-health in the latency runs: "
          + "they hold each event until the watermark passes it, so it adds to their latency");
  public static final OptionKey<Duration> RATE_DURATION = OptionKey.duration(NS + "rate-duration",
      Duration.ofSeconds(60), Duration.ofSeconds(5), "how long each fixed rate is measured (after the warm-up)");
  public static final OptionKey<Duration> WARMUP = OptionKey.duration(NS + "warmup", Duration.ofSeconds(30),
      Duration.ZERO, "load before the latency probes start counting, at each rate (JIT, first batches, state)");
  public static final OptionKey<Integer> LIVE_DEVICES = OptionKey.integer(NS + "live-devices", 1_000, 2, 10_000_000,
      "devices in the fleet of the fixed-rate runs (the same at every rate, so the state is the same size)");
  public static final OptionKey<Duration> LATENCY_TRIGGER = OptionKey.duration(NS + "latency-trigger",
      Duration.ofMillis(500), Duration.ofMillis(100), "micro-batch interval of the latency runs");
  public static final OptionKey<String> OUT = OptionKey.location(NS + "out", "target/bench",
      "where results (JSON, PNG), logs and the runs' tables go");
  public static final OptionKey<String> CHILD_HEAP = OptionKey.string(NS + "child-heap", "3g",
      "-Xmx of the JVM each measured job runs in");
  public static final OptionKey<Boolean> PROFILE = OptionKey.bool(NS + "profile", false,
      "record each measured JVM with Java Flight Recorder (<out>/jfr/<run>.jfr)");

  public static final OptionKey<java.util.Map<String, String>> SPARK_CONF = new OptionKey<>(NS + "spark-conf",
      "key=value, comma separated", java.util.Map.of(),
      "Spark settings (spark.*) for every measured job, to compare a setting's effect", s -> {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        for (String kv : s.split(",")) {
          if (kv.isBlank()) {
            continue;
          }
          int eq = kv.indexOf('=');
          if (eq < 0 || !kv.trim().startsWith("spark.")) {
            throw new IllegalArgumentException("'" + kv.trim() + "' is not spark.<setting>=<value>");
          }
          m.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
        return m;
      });

  public static List<OptionKey<?>> keys() {
    List<OptionKey<?>> keys = new ArrayList<>(KafkaOptions.KEYS);
    keys.addAll(CassandraOptions.KEYS);
    keys.addAll(List.of(EVENTS, PARTITIONS, DEVICES, JOBS, MAX_BATCH, RATES, LATENCY_JOBS, RATE_DURATION, WARMUP,
        LIVE_DEVICES, LATENCY_TRIGGER, LATENCY_LATENESS, OUT, CHILD_HEAP, PROFILE, SPARK_CONF));
    return keys;
  }

  public static BenchOptions from(Settings s) {
    return new BenchOptions(KafkaOptions.from(s), CassandraOptions.from(s), s.get(EVENTS), s.get(PARTITIONS),
        s.get(DEVICES), s.get(JOBS), s.get(MAX_BATCH), s.get(RATES), s.get(LATENCY_JOBS),
        s.get(LATENCY_LATENESS), s.get(RATE_DURATION), s.get(WARMUP), s.get(LIVE_DEVICES), s.get(LATENCY_TRIGGER),
        s.get(OUT), s.get(CHILD_HEAP), s.get(PROFILE), s.get(SPARK_CONF));
  }

  /** An option naming some of {@code allowed} jobs, comma separated; empty for none. */
  private static OptionKey<List<String>> jobList(String name, List<String> defaults, Set<String> allowed,
      String meaning) {
    return new OptionKey<>(name, "job names, comma separated", defaults,
        meaning + " (any of " + String.join(", ", sorted(allowed)) + "; empty: none)", s -> {
          List<String> jobs = Arrays.stream(s.split(",")).map(String::trim).filter(j -> !j.isEmpty()).toList();
          for (String j : jobs) {
            if (!allowed.contains(j)) {
              throw new IllegalArgumentException("'" + j + "' is not one of " + sorted(allowed));
            }
          }
          return jobs;
        });
  }

  private static List<String> sorted(Set<String> s) {
    return s.stream().sorted().toList();
  }
}
