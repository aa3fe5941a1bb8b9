package io.iotpipe.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iotpipe.delta.DeltaAppend;
import io.iotpipe.delta.TableSpec;
import io.iotpipe.jobs.JobRunner;
import io.iotpipe.jobs.SimulatedTopic;
import io.iotpipe.kafka.KafkaSource;
import io.iotpipe.local.ProjectHome;
import io.iotpipe.testing.LocalServicesExtension;
import io.iotpipe.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Crash the ingest job mid-stream, restart it from its checkpoint, and find every record exactly
 * once: the micro-batch in flight is replayed, and the Delta writes it had already committed are
 * not repeated.
 */
@ExtendWith(LocalServicesExtension.class)
class IngestRestartIT {
  private static SimulatedTopic topic;

  @BeforeAll
  static void simulate() {
    topic = SimulatedTopic.create("ingest-restart", Map.of());
  }

  /** The hardest in-process crash: after the events commit of a batch, before its quarantine commit. */
  @Test
  void crashBetweenTheTwoTableWritesOfABatch() throws Exception {
    SparkSession spark = TestSpark.session();
    String root = TestSpark.newFolder("delta").toString();
    IngestOptions o = IngestIT.options(topic, root, Map.of("ingest.max-offsets-per-trigger", "1000"));
    TableSpec.EVENTS.createIfMissing(spark, o.storage());
    TableSpec.QUARANTINE.createIfMissing(spark, o.storage());
    AtomicBoolean crashed = new AtomicBoolean();
    String quarantinePath = TableSpec.QUARANTINE.path(root);
    IngestSink crashingOnce = new IngestSink(
        (rows, appId, batchId) -> DeltaAppend.once(rows, TableSpec.EVENTS.path(root), appId, batchId),
        (rows, appId, batchId) -> {
          if (batchId == 1 && crashed.compareAndSet(false, true)) {
            throw new IllegalStateException("injected crash after the events write of batch 1");
          }
          DeltaAppend.once(rows, quarantinePath, appId, batchId);
        },
        (batchId, valid, quarantined) -> {});
    StreamingQuery query = IngestJob.start(KafkaSource.stream(spark, o.kafka(), o.stream()), crashingOnce, o);
    assertThrows(StreamingQueryException.class, query::awaitTermination);
    assertTrue(crashed.get());
    long eventCommits = io.delta.tables.DeltaTable.forPath(spark, TableSpec.EVENTS.path(root)).history().count();
    assertEquals(3, eventCommits, "create, batch 0, batch 1 (committed before the crash)");

    IngestJob.Running restarted = IngestJob.startFromOptions(spark, o);
    restarted.query().awaitTermination();
    IngestAssertions.assertExactlyOnce(root, topic);
  }

  /** A real crash: the job's JVM is killed with SIGKILL while it streams, then restarted. */
  @Test
  void killedProcessRestartsFromItsCheckpoint() throws Exception {
    Path root = TestSpark.newFolder("delta");
    Path checkpoints = root.resolveSibling(root.getFileName() + "-checkpoints");
    Path log = root.resolveSibling(root.getFileName() + "-job.log");
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "@" + ProjectHome.find().resolve("conf/spark-java17.args"),
        "-cp", System.getProperty("java.class.path"),
        JobRunner.class.getName(), "ingest", "--profile", "none",
        "--kafka.bootstrap-servers", LocalServicesExtension.services().kafkaBootstrapServers(),
        "--kafka.events-topic", topic.topic,
        "--delta.root", root.toString(),
        "--checkpoint.root", checkpoints.toString(),
        "--trigger", "200ms",
        "--max-offsets-per-trigger", "250",
        "--spark.master", "local[2]",
        "--spark.sql.shuffle.partitions", "2",
        "--spark.ui.enabled", "false"));
    Process job = new ProcessBuilder(cmd).directory(root.getParent().toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      Path deltaLog = root.resolve("events/_delta_log");
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (commits(deltaLog) < 4) {
        assertTrue(job.isAlive(), () -> "the job died on its own:\n" + tail(log));
        assertTrue(System.nanoTime() < deadline, () -> "no progress:\n" + tail(log));
        Thread.sleep(100);
      }
    } finally {
      job.destroyForcibly(); // SIGKILL: no shutdown hook, no graceful stop
      job.waitFor(30, TimeUnit.SECONDS);
    }

    IngestJob.Running restarted = IngestJob.startFromOptions(TestSpark.session(),
        IngestIT.options(topic, root.toString(), Map.of("checkpoint.root", checkpoints.toString())));
    restarted.query().awaitTermination();
    assertTrue(restarted.totals().consumed() > 0, "the kill came before the job had read everything");
    IngestAssertions.assertExactlyOnce(root.toString(), topic);
  }

  private static long commits(Path deltaLog) throws Exception {
    if (!Files.isDirectory(deltaLog)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(deltaLog)) {
      return files.filter(p -> p.getFileName().toString().matches("\\d+\\.json")).count();
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (Exception e) {
      return "(no log)";
    }
  }
}
