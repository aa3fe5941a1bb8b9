package io.iotpipe.jobs.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.cassandra.CassandraSchema;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.jobs.Job;
import io.iotpipe.jobs.LocalFiles;
import io.iotpipe.jobs.JobRunner;
import io.iotpipe.jobs.health.DeviceHealthOptions;
import io.iotpipe.jobs.simulate.SimulateJob;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.progress.ProgressLog;
import io.iotpipe.sim.KafkaRecordSink;
import io.iotpipe.sim.SimulationSummary;
import io.iotpipe.sim.SimulatorOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job {@code bench}: the benchmark (scripts/bench). Preloads a topic with simulated events,
 * measures the raw consume rate (the ceiling), Spark's read-and-count rate (the engine's floor
 * cost), each streaming job over the topic with available-now, and the aggregates job's
 * end-to-end latency at fixed input rates; writes JSON and a PNG under {@code bench.out} and
 * ends with a {@code BENCH {json}} line. See its README.
 */
public final class BenchJob implements Job {
  private static final Logger LOG = LoggerFactory.getLogger(BenchJob.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOPIC_PREFIX = "iotpipe-bench-";
  private static final double MB = 1024.0 * 1024.0;
  /** Tenants of the fixed-rate runs, each sent by a simulator of its own. */
  private static final int LIVE_TENANTS = 2;

  @Override
  public String name() {
    return "bench";
  }

  @Override
  public String description() {
    return "benchmark on the local services: throughput, micro-batch times, memory and end-to-end latency";
  }

  @Override
  public List<OptionKey<?>> options() {
    return BenchOptions.keys();
  }

  @Override
  public int run(Settings settings) throws Exception {
    BenchOptions o = BenchOptions.from(settings);
    // The benchmark never writes to the keyspace or tables of the real jobs.
    String keyspace = o.cassandra().keyspace() + "_bench";
    Path out = Path.of(o.out()).toAbsolutePath();
    Path work = out.resolve("work");
    for (String dir : List.of("work", "metrics", "logs", "jfr")) {
      LocalFiles.deleteRecursively(out.resolve(dir));
    }
    Files.createDirectories(work);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));

    Map<String, Object> report = new LinkedHashMap<>();
    report.put("started", Instant.now().toString());
    report.put("machine", machine());
    report.put("options", describe(settings));
    dropOldBenchTopics(o.kafka());
    try (CqlSession session = o.cassandra().openSession()) {
      session.execute("DROP KEYSPACE IF EXISTS " + keyspace);
    }

    // 1. Preload.
    String topic = TOPIC_PREFIX + stamp;
    KafkaOptions kafka = kafkaFor(settings, topic);
    LOG.info("bench: preloading ~{} simulated events into {} ({} partitions)", o.events(), topic, o.partitions());
    long t0 = System.nanoTime();
    SimulationSummary sim = SimulateJob.simulate(kafka, preload(settings, o, work));
    double preloadSeconds = (System.nanoTime() - t0) / 1e9;
    long records = endOffsetSum(kafka, topic);
    report.put("preload", Map.of("topic", topic, "partitions", o.partitions(), "records", records,
        "valid_events", sim.validEvents(), "seconds", round(preloadSeconds), "eps", round(records / preloadSeconds)));
    LOG.info("bench: preloaded {} records in {} s", records, round(preloadSeconds));

    // 2. The ceiling: a plain consumer, the best of at least two passes and of 5 s of passes (one
    // pass over a small topic takes well under a second, too short to be measured alone).
    List<RawConsumeRate.Pass> passes = new ArrayList<>();
    double passSeconds = 0;
    while (passes.size() < 2 || (passSeconds < 5 && passes.size() < 20)) {
      RawConsumeRate.Pass pass = RawConsumeRate.measure(kafka, topic);
      passes.add(pass);
      passSeconds += pass.seconds();
    }
    RawConsumeRate.Pass raw = passes.stream().max(Comparator.comparingDouble(RawConsumeRate.Pass::eps)).orElseThrow();
    if (raw.records() != records) {
      throw new IllegalStateException("the raw consumer read " + raw.records() + " of " + records + " records");
    }
    double rawEps = raw.eps();
    report.put("raw_consume", Map.of("records", raw.records(), "mb", round(raw.bytes() / MB),
        "seconds", round(raw.seconds()), "eps", round(rawEps), "passes", passes.size()));
    LOG.info("bench: raw consumer: {} records in {} s = {} events/s", raw.records(), round(raw.seconds()),
        round(rawEps));

    // The serving store's ceiling: device_window_metrics rows per second into Cassandra, best of two.
    CassandraOptions benchCassandra = CassandraOptions.from(settings.overlay(Map.of("cassandra.keyspace", keyspace),
        "bench"));
    CassandraWriteRate.Pass cassandra;
    try (CqlSession session = benchCassandra.openSession()) {
      CassandraSchema.migrate(session, benchCassandra);
      cassandra = Stream.of(CassandraWriteRate.measure(session, keyspace, 100_000),
          CassandraWriteRate.measure(session, keyspace, 100_000))
          .max(Comparator.comparingDouble(CassandraWriteRate.Pass::rowsPerSecond)).orElseThrow();
    }
    report.put("cassandra_write", Map.of("rows", cassandra.rows(), "seconds", round(cassandra.seconds()),
        "rows_per_s", round(cassandra.rowsPerSecond())));
    LOG.info("bench: Cassandra: {} device_window_metrics rows in {} s = {} rows/s", cassandra.rows(),
        round(cassandra.seconds()), round(cassandra.rowsPerSecond()));

    // 3. The engine's floor, then 4. each job, over the same topic with available-now.
    Map<String, Object> runs = new LinkedHashMap<>();
    List<String> countArgs = new ArrayList<>(List.of("count", "kafka.bootstrap-servers=" + kafka.bootstrapServers(),
        "kafka.events-topic=" + topic, "checkpoint=" + work.resolve("checkpoints/spark-count"),
        "max-offsets-per-trigger=" + o.maxBatch(), "spark.sql.streaming.streamingQueryListeners="
            + BenchQueryListener.class.getName()));
    o.sparkConf().forEach((k, v) -> countArgs.add(k + "=" + v));
    Map<String, Object> floor = availableNow("spark-count", countArgs, records, rawEps, 0, out, o);
    runs.put("spark-count", floor);
    double floorEps = ((Number) floor.get("eps")).doubleValue();
    for (String job : o.jobs()) {
      runs.put(job, availableNow(job, jobArgs(o, settings, job, topic, keyspace, work.resolve(job),
          "available-now", o.maxBatch(), Map.of()), records, rawEps, floorEps, out, o));
      if (job.equals("ingest")) {
        runs.putAll(inputChoices(countArgs, work, sim, records, rawEps, floorEps, out, o));
      }
    }
    report.put("runs", runs);

    // 5. End-to-end latency at fixed input rates, job by job.
    Map<String, Map<String, Object>> latency = new LinkedHashMap<>();
    for (String job : o.latencyJobs()) {
      for (double rate : o.rates()) {
        latency.computeIfAbsent(job, j -> new LinkedHashMap<>())
            .put(rateLabel(rate), latencyRun(settings, o, job, rate, stamp, keyspace, out, work));
      }
    }
    report.put("latency", latency);
    report.put("finished", Instant.now().toString());

    // 6. Results.
    Map<String, Object> summary = summary(rawEps, cassandra.rowsPerSecond(), runs, latency);
    report.put("summary", summary);
    Path json = out.resolve("bench-" + stamp + ".json");
    JSON.enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report);
    Files.copy(json, out.resolve("bench.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Path png = out.resolve("bench-" + stamp + ".png");
    plot(png, report, runs, latency);
    Files.copy(png, out.resolve("bench.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    deleteTopic(kafka, topic);
    LOG.info("bench: results in {} and {}", json, png);
    System.out.println("BENCH " + new ObjectMapper().writeValueAsString(summary));
    return 0;
  }

  /** The simulator's options for the preload: two tenants, one event per device every 10 s. */
  private static SimulatorOptions preload(Settings settings, BenchOptions o, Path work) {
    long perDevice = Math.max(1, (o.events() + o.devices() - 1) / o.devices());
    return SimulatorOptions.from(settings.overlay(Map.of(
        "simulate.tenants", "2",
        "simulate.devices-per-tenant", String.valueOf(o.devices() / 2),
        "simulate.interval", "10s",
        "simulate.duration", (perDevice * 10) + "s",
        "simulate.partitions", String.valueOf(o.partitions()),
        "simulate.truth-file", work.resolve("preload-truth.jsonl").toString()), "bench"));
  }

  /**
   * The command line of a job's JVM: the benchmark's topic, keyspace, tables and checkpoint (each
   * option only where the job has it), then {@code jobOptions}.
   */
  private static List<String> jobArgs(BenchOptions o, Settings settings, String job, String topic, String keyspace,
      Path dir, String trigger, long maxBatch, Map<String, String> jobOptions) {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("kafka.bootstrap-servers", settings.get(KafkaOptions.BOOTSTRAP_SERVERS));
    options.put("kafka.events-topic", topic);
    options.put("cassandra.contact-points", settings.get(CassandraOptions.CONTACT_POINTS));
    options.put("cassandra.port", String.valueOf(settings.get(CassandraOptions.PORT)));
    options.put("cassandra.local-dc", settings.get(CassandraOptions.LOCAL_DC));
    options.put("cassandra.keyspace", keyspace);
    options.put("delta.root", dir.resolve("delta").toString());
    options.put("checkpoint.root", dir.resolve("checkpoints").toString());
    options.put(job + ".trigger", trigger);
    if (maxBatch > 0) {
      options.put(job + ".max-offsets-per-trigger", String.valueOf(maxBatch));
    }
    Set<String> known = JobRunner.JOBS.stream().filter(j -> j.name().equals(job)).findFirst().orElseThrow()
        .options().stream().map(OptionKey::name).collect(Collectors.toSet());
    List<String> args = new ArrayList<>(List.of(job,
        "--spark.sql.streaming.streamingQueryListeners", BenchQueryListener.class.getName()));
    options.putAll(jobOptions);
    options.putAll(o.sparkConf());
    options.forEach((k, v) -> {
      if (known.contains(k) || k.startsWith("spark.")) {
        args.add("--" + k);
        args.add(v);
      }
    });
    return args;
  }

  /**
   * Runs one JVM over the preloaded topic until it ends, and returns its figures, with its rate as
   * a ratio to the raw consumer's and to the floor's ({@code floorEps}; 0 for the floor itself).
   */
  private static Map<String, Object> availableNow(String name, List<String> args, long records, double rawEps,
      double floorEps, Path out, BenchOptions o) throws IOException, InterruptedException {
    LOG.info("bench: {}: available-now over {} records (log: {})", name, records,
        out.resolve("logs").resolve(name + ".log"));
    ProgressLog progress = new ProgressLog(LOG, "bench: " + name + ": records read", records, Duration.ofSeconds(10));
    RunMetrics m;
    try (ChildJvm child = ChildJvm.start(name, out, o.childHeap(), o.profile(), args)) {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(60);
      while (!child.waitFor(2)) {
        progress.update(child.metrics().totalRows(), null);
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(name + " did not finish within 60 minutes; see " + child.logFile());
        }
      }
      if (child.exitValue() != 0) {
        throw new IllegalStateException(name + " failed (exit " + child.exitValue() + "); see " + child.logFile());
      }
      m = child.metrics();
      progress.finish(m.totalRows(), null);
    }
    if (m.totalRows() != records) {
      throw new IllegalStateException(name + " read " + m.totalRows() + " records of " + records);
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("eps", round(m.sustainedEps()));
    r.put("all_in_eps", round(m.allInEps()));
    r.put("ratio_to_raw", Math.round(m.sustainedEps() / rawEps * 10_000) / 10_000.0);
    if (floorEps > 0) {
      r.put("ratio_to_floor", Math.round(m.sustainedEps() / floorEps * 1000) / 1000.0);
    }
    r.put("records", m.totalRows());
    r.put("batches", m.withRows().size());
    r.put("batch_p50_ms", m.batchDurationPercentile(50));
    r.put("batch_p99_ms", m.batchDurationPercentile(99));
    r.put("peak_heap_mb", round(m.peakHeap() / MB));
    r.put("peak_rss_mb", round(m.peakRss() / MB));
    r.put("state_rows_end", m.batches().isEmpty() ? 0 : m.batches().get(m.batches().size() - 1).stateRows());
    LOG.info("bench: {}: {} events/s sustained ({} all in, {}x the raw rate, {}x the floor), batches p50 {} ms "
            + "p99 {} ms, peak heap {} MB, peak RSS {} MB", name, r.get("eps"), r.get("all_in_eps"),
        r.get("ratio_to_raw"), r.getOrDefault("ratio_to_floor", 1.0), r.get("batch_p50_ms"), r.get("batch_p99_ms"),
        r.get("peak_heap_mb"), r.get("peak_rss_mb"));
    return r;
  }

  /**
   * What a downstream job pays to read its events, for the choice of "parse once, deduplicate
   * once": the topic through the parse and the deduplication every streaming job starts with
   * ({@code spark-count-dedup}), or the ingest run's Delta {@code events} table as a stream
   * ({@code spark-count-delta}, in micro-batches of about the same number of records).
   */
  private static Map<String, Object> inputChoices(List<String> countArgs, Path work, SimulationSummary sim,
      long records, double rawEps, double floorEps, Path out, BenchOptions o) throws IOException, InterruptedException {
    Map<String, Object> runs = new LinkedHashMap<>();
    List<String> dedupArgs = new ArrayList<>(countArgs);
    dedupArgs.set(0, "count-dedup");
    dedupArgs.replaceAll(a -> a.startsWith("checkpoint=") ? "checkpoint=" + work.resolve("checkpoints/count-dedup") : a);
    runs.put("spark-count-dedup", availableNow("spark-count-dedup", dedupArgs, records, rawEps, floorEps, out, o));

    Path events = work.resolve("ingest/delta/events");
    long files;
    try (Stream<Path> walk = Files.walk(events)) {
      files = walk.filter(f -> f.toString().endsWith(".parquet")).count();
    }
    long perTrigger = Math.max(1, Math.round(files * (double) o.maxBatch() / Math.max(1, sim.validEvents())));
    List<String> deltaArgs = new ArrayList<>(countArgs);
    deltaArgs.set(0, "count-delta");
    deltaArgs.replaceAll(a -> a.startsWith("checkpoint=") ? "checkpoint=" + work.resolve("checkpoints/count-delta") : a);
    deltaArgs.addAll(List.of("delta-path=" + events, "max-files-per-trigger=" + perTrigger));
    runs.put("spark-count-delta", availableNow("spark-count-delta", deltaArgs, sim.validEvents(), rawEps, floorEps,
        out, o));
    return runs;
  }

  /** How long a latency run waits for its last probes to become visible after the producers stopped. */
  private static final long PROBE_GRACE_MS = 60_000;

  /**
   * One serving job on a new topic with a short trigger while the simulator sends at {@code rate}
   * events/s and the probe measures produced-to-visible latency.
   */
  private static Map<String, Object> latencyRun(Settings settings, BenchOptions o, String job, double rate,
      String stamp, String keyspace, Path out, Path work) throws Exception {
    String label = rateLabel(rate);
    String name = "latency-" + job + "-" + label;
    String topic = TOPIC_PREFIX + "live-" + job + "-" + label + "-" + stamp;
    KafkaOptions kafka = kafkaFor(settings, topic);
    KafkaRecordSink.createTopicIfMissing(kafka, topic, o.partitions());
    Path dir = work.resolve(name);
    Files.createDirectories(dir);
    // Jobs that apply events in event-time order hold each one until the watermark passes it: a
    // short allowed lateness (the live simulator sends nothing later than 2 s) keeps that wait
    // small and known. The aggregates job shows provisional windows at once and keeps its own.
    Map<String, String> jobOptions = new LinkedHashMap<>();
    if (!job.equals("aggregates")) {
      jobOptions.put(job + ".allowed-lateness", o.latencyLateness().toMillis() + "ms");
    }
    if (job.equals("device-health")) {
      Path rules = dir.resolve("health-rules.conf");
      Files.writeString(rules, LatencyProbe.healthRules(Files.readString(Path.of(settings.get(
          DeviceHealthOptions.RULES_FILE)))));
      jobOptions.put(DeviceHealthOptions.RULES_FILE.name(), rules.toString());
    }
    LOG.info("bench: {}: {} with trigger {} at {} events/s for {} (log: {})", name, job, o.latencyTrigger(),
        label, o.rateDuration(), out.resolve("logs").resolve(name + ".log"));
    Map<String, Object> r = new LinkedHashMap<>();
    try (ChildJvm child = ChildJvm.start(name, out, o.childHeap(), o.profile(), jobArgs(o, settings, job,
             topic, keyspace, dir, o.latencyTrigger().toMillis() + "ms", 0, jobOptions));
         CqlSession session = o.cassandra().openSession();
         LatencyProbe probe = new LatencyProbe(kafka, topic, session, keyspace, job, "probe-" + label, 100)) {
      awaitFirstBatch(child);
      long start = System.currentTimeMillis();
      // One simulator per tenant, side by side: a single one cannot send 50k events/s here.
      List<SimulationSummary> sent = java.util.Collections.synchronizedList(new ArrayList<>());
      List<Thread> producers = new ArrayList<>();
      for (int tenant = 1; tenant <= LIVE_TENANTS; tenant++) {
        SimulatorOptions sim = live(settings, o, rate, tenant, dir);
        Thread producer = new Thread(() -> sent.add(SimulateJob.simulate(kafka, sim)), name + "-simulator-" + tenant);
        producer.start();
        producers.add(producer);
      }
      // The probes count only after the warm-up: JIT, the first batches and the state's growth to
      // the whole fleet belong to a job's start, not to its steady state.
      Thread.sleep(o.warmup().toMillis());
      long measured = System.currentTimeMillis();
      probe.start();
      for (Thread producer : producers) {
        producer.join();
      }
      if (sent.size() != LIVE_TENANTS) {
        throw new IllegalStateException(name + ": a simulator failed; see the log above");
      }
      double producedSeconds = (System.currentTimeMillis() - start) / 1000.0;
      long produced = endOffsetSum(kafka, topic);
      // Kept up: the job has read everything produced within a few triggers of the end.
      long lagAtEnd = produced - Math.max(0, child.metrics().committedOffsetSum());
      long grace = Math.max(10_000, 10 * o.latencyTrigger().toMillis());
      long caughtUpMs = -1;
      long deadline = System.currentTimeMillis() + grace;
      while (System.currentTimeMillis() < deadline) {
        if (child.metrics().committedOffsetSum() >= produced) {
          caughtUpMs = System.currentTimeMillis() - start - (long) (producedSeconds * 1000);
          break;
        }
        if (!child.isAlive()) {
          throw new IllegalStateException(name + ": the job ended (exit " + child.exitValue() + "); see "
              + child.logFile());
        }
        Thread.sleep(100);
      }
      // The probes get longer: those sent last need the job to catch up, and leaving them out
      // would flatter the percentiles.
      probe.stop(Math.max(grace, PROBE_GRACE_MS));
      RunMetrics m = child.metrics();
      List<Long> latencies = probe.latencies();
      List<RunMetrics.Batch> steady = m.batches().stream().filter(b -> b.startMs() >= measured).toList();
      r.put("target_eps", rate);
      if (jobOptions.containsKey(job + ".allowed-lateness")) {
        r.put("allowed_lateness_ms", o.latencyLateness().toMillis());
      }
      r.put("produced_eps", round(sent.stream().mapToLong(SimulationSummary::recordsSent).sum() / producedSeconds));
      r.put("seconds", round(producedSeconds));
      r.put("kept_up", caughtUpMs >= 0);
      r.put("lag_at_end_records", lagAtEnd);
      r.put("caught_up_after_ms", caughtUpMs);
      r.put("probes", probe.sent());
      r.put("probes_not_visible", probe.sent() - latencies.size());
      r.put("p50_latency_ms", RunMetrics.percentile(latencies, 50));
      r.put("p90_latency_ms", RunMetrics.percentile(latencies, 90));
      r.put("p99_latency_ms", RunMetrics.percentile(latencies, 99));
      r.put("max_latency_ms", RunMetrics.percentile(latencies, 100));
      Map<String, Object> breakdown = LatencyBreakdown.of(probe.probes(), m, !job.equals("aggregates"));
      r.put("latency_breakdown", breakdown);
      r.put("batch_p50_ms", RunMetrics.percentile(steady.stream().map(RunMetrics.Batch::durationMs).toList(), 50));
      r.put("batch_p99_ms", RunMetrics.percentile(steady.stream().map(RunMetrics.Batch::durationMs).toList(), 99));
      r.put("state", m.batches().stream().filter(b -> b.startMs() >= start).map(b -> List.of(round((b.startMs() - start) / 1000.0), b.stateRows(),
          round(b.stateBytes() / MB))).toList());
      r.put("heap", m.memory().stream().filter(s -> s.tMs() >= start).map(s -> List.of(
          round((s.tMs() - start) / 1000.0), round(s.heapUsed() / MB), round(s.rss() / MB))).toList());
      LOG.info("bench: {}: produced {} events/s, latency p50 {} ms p99 {} ms (probes {}, not visible {}), "
              + "kept up: {} (lag at end {} records)", name, r.get("produced_eps"), r.get("p50_latency_ms"),
          r.get("p99_latency_ms"), r.get("probes"), r.get("probes_not_visible"), r.get("kept_up"), lagAtEnd);
      LOG.info("bench: {}: mean latency by part (ms): {}, shares {}", name, breakdown.get("mean_ms"),
          breakdown.get("share"));
    }
    deleteTopic(kafka, topic);
    return r;
  }

  /**
   * The options of one tenant's simulator in a fixed-rate run: its share of the devices and the
   * rate, event time following the clock, no late events.
   */
  private static SimulatorOptions live(Settings settings, BenchOptions o, double rate, int tenant, Path dir) {
    int devices = o.liveDevices() / LIVE_TENANTS;
    double tenantRate = rate / LIVE_TENANTS;
    long intervalMs = Math.max(10, Math.round(devices * 1000.0 / tenantRate));
    return SimulatorOptions.from(settings.overlay(Map.ofEntries(
        Map.entry("simulate.seed", String.valueOf(42 + tenant)),
        Map.entry("simulate.tenants", "1"),
        Map.entry("simulate.first-tenant", String.valueOf(tenant)),
        Map.entry("simulate.devices-per-tenant", String.valueOf(devices)),
        Map.entry("simulate.interval", intervalMs + "ms"),
        Map.entry("simulate.start", Instant.now().plusSeconds(1).toString()),
        Map.entry("simulate.duration", o.warmup().plus(o.rateDuration()).toMillis() + "ms"),
        Map.entry("simulate.rate", String.valueOf(tenantRate)),
        Map.entry("simulate.late-fraction", "0"),
        Map.entry("simulate.out-of-order-max-delay", "2s"),
        Map.entry("simulate.partitions", String.valueOf(o.partitions())),
        Map.entry("simulate.truth-file", dir.resolve("truth-" + tenant + ".jsonl").toString())), "bench"));
  }

  private static void awaitFirstBatch(ChildJvm child) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (child.metrics().batches().isEmpty()) {
      if (!child.isAlive()) {
        throw new IllegalStateException(child.name() + " ended (exit " + child.exitValue() + "); see "
            + child.logFile());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(child.name() + " ran no micro-batch within 3 minutes; see " + child.logFile());
      }
      Thread.sleep(200);
    }
  }

  /** The flat summary of the BENCH line. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> summary(double rawEps, double cassandraRowsPerSecond, Map<String, Object> runs,
      Map<String, Map<String, Object>> latency) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("raw_consume_eps", round(rawEps));
    s.put("cassandra_write_rows_per_s", round(cassandraRowsPerSecond));
    s.put("spark_count_eps", ((Map<String, Object>) runs.get("spark-count")).get("eps"));
    runs.forEach((name, r) -> {
      if (!name.equals("spark-count")) {
        s.put(name + "_eps", ((Map<String, Object>) r).get("eps"));
        s.put(name + "_ratio_to_raw", ((Map<String, Object>) r).get("ratio_to_raw"));
        s.put(name + "_floor_ratio", ((Map<String, Object>) r).get("ratio_to_floor"));
      }
    });
    // p99_latency_ms and kept_up: of aggregates (else the first latency job), by input rate;
    // <job>_p99_latency_ms and <job>_kept_up for every latency job.
    Map<String, Map<String, Object>> p99 = new LinkedHashMap<>();
    Map<String, Map<String, Object>> keptUp = new LinkedHashMap<>();
    latency.forEach((job, byRate) -> byRate.forEach((rate, r) -> {
      p99.computeIfAbsent(job, j -> new LinkedHashMap<>()).put(rate, ((Map<String, Object>) r).get("p99_latency_ms"));
      keptUp.computeIfAbsent(job, j -> new LinkedHashMap<>()).put(rate, ((Map<String, Object>) r).get("kept_up"));
    }));
    String headline = latency.containsKey("aggregates") ? "aggregates"
        : latency.keySet().stream().findFirst().orElse(null);
    s.put("p99_latency_ms", headline == null ? Map.of() : p99.get(headline));
    s.put("kept_up", headline == null ? Map.of() : keptUp.get(headline));
    p99.forEach((job, byRate) -> s.put(job + "_p99_latency_ms", byRate));
    keptUp.forEach((job, byRate) -> s.put(job + "_kept_up", byRate));
    return s;
  }

  @SuppressWarnings("unchecked")
  private static void plot(Path png, Map<String, Object> report, Map<String, Object> runs,
      Map<String, Map<String, Object>> latency) throws IOException {
    Map<String, Double> throughput = new LinkedHashMap<>();
    throughput.put("Kafka consumer", ((Number) ((Map<String, Object>) report.get("raw_consume")).get("eps"))
        .doubleValue());
    runs.forEach((name, r) -> throughput.put(name, ((Number) ((Map<String, Object>) r).get("eps")).doubleValue()));
    Map<String, Map<String, Long>> lat = new LinkedHashMap<>();
    Map<String, List<double[]>> state = new LinkedHashMap<>();
    Map<String, List<double[]>> heap = new LinkedHashMap<>();
    latency.forEach((job, byRate) -> byRate.forEach((rate, value) -> {
      Map<String, Object> r = (Map<String, Object>) value;
      String run = job + " " + rate + "/s";
      Map<String, Long> p = new LinkedHashMap<>();
      for (String k : List.of("p50", "p90", "p99")) {
        p.put(k, ((Number) r.get(k + "_latency_ms")).longValue());
      }
      lat.put(run, p);
      state.put(run, ((List<List<Number>>) r.get("state")).stream()
          .map(x -> new double[] {x.get(0).doubleValue(), x.get(2).doubleValue()}).toList());
      heap.put(run, ((List<List<Number>>) r.get("heap")).stream()
          .map(x -> new double[] {x.get(0).doubleValue(), x.get(1).doubleValue()}).toList());
    }));
    Map<String, Object> machine = (Map<String, Object>) report.get("machine");
    String subtitle = String.format("iotpipe bench %s on %s cores (%s), %s; topic of %,d records, %s partitions; "
            + "Cassandra takes %,.0f device_window_metrics rows/s", report.get("started"), machine.get("cores"),
        machine.get("cpu"), machine.get("memory"), ((Map<String, Object>) report.get("preload")).get("records"),
        ((Map<String, Object>) report.get("preload")).get("partitions"),
        ((Number) ((Map<String, Object>) report.get("cassandra_write")).get("rows_per_s")).doubleValue());
    BenchPlot.write(png, subtitle, throughput, lat, state, heap);
  }

  private static KafkaOptions kafkaFor(Settings settings, String topic) {
    return KafkaOptions.from(settings.overlay(Map.of("kafka.events-topic", topic), "bench"));
  }

  private static long endOffsetSum(KafkaOptions kafka, String topic) throws Exception {
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      int n = admin.describeTopics(Set.of(topic)).allTopicNames().get().get(topic).partitions().size();
      Map<TopicPartition, OffsetSpec> request = new LinkedHashMap<>();
      for (int p = 0; p < n; p++) {
        request.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      return admin.listOffsets(request).all().get().values().stream().mapToLong(i -> i.offset()).sum();
    }
  }

  /** Topics an earlier run left (a run deletes its own at the end unless it failed). */
  private static void dropOldBenchTopics(KafkaOptions kafka) throws Exception {
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      Set<String> old = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
          .filter(t -> t.startsWith(TOPIC_PREFIX)).collect(Collectors.toSet());
      if (!old.isEmpty()) {
        admin.deleteTopics(old).all().get();
      }
    }
  }

  private static void deleteTopic(KafkaOptions kafka, String topic) throws Exception {
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      admin.deleteTopics(Set.of(topic)).all().get();
    }
  }

  private static Map<String, Object> machine() throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("cpu", procLine("/proc/cpuinfo", "model name"));
    String mem = procLine("/proc/meminfo", "MemTotal");
    m.put("memory", mem.isEmpty() ? "?" : Math.round(Long.parseLong(mem.replaceAll("[^0-9]", "")) / MB) + " GiB");
    m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    return m;
  }

  private static String procLine(String file, String key) throws IOException {
    Path p = Path.of(file);
    if (!Files.exists(p)) {
      return "";
    }
    return Files.readAllLines(p).stream().filter(l -> l.startsWith(key)).findFirst()
        .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("");
  }

  /** The options of this run, without credentials. */
  private static Map<String, String> describe(Settings settings) {
    Map<String, String> m = new LinkedHashMap<>();
    for (OptionKey<?> k : BenchOptions.keys()) {
      if (!Settings.isSecretKey(k.name())) {
        m.put(k.name(), String.valueOf(settings.find(k).map(Object::toString).orElse(k.defaultText())));
      }
    }
    return m;
  }

  private static String rateLabel(double rate) {
    return rate == Math.rint(rate) ? String.valueOf((long) rate) : String.valueOf(rate);
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
