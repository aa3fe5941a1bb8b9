package io.iotpipe.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotpipe.aggregate.WindowServing;
import io.iotpipe.config.Settings;
import io.iotpipe.jobs.aggregates.AggregateAssertions;
import io.iotpipe.jobs.aggregates.AggregatesOptions;
import io.iotpipe.jobs.ingest.IngestAssertions;
import io.iotpipe.testing.LocalServicesExtension;
import io.iotpipe.testing.TestSpark;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The application jar on a real Spark standalone cluster (scripts/cluster: a master and two
 * workers, each its own JVM, from the Spark jars alone): ingest and aggregates submitted with
 * scripts/submit in cluster deploy mode, so the driver runs on a worker and the executors on
 * both, against the local Kafka and Cassandra; the results are checked as the local tests check
 * them.
 */
@ExtendWith(LocalServicesExtension.class)
class SparkClusterIT {
  private static final Path HOME = Path.of(System.getProperty("iotpipe.home"));
  private static boolean startedCluster;

  @BeforeAll
  static void startCluster() throws Exception {
    startedCluster = run(List.of("scripts/cluster", "status")).code() != 0;
    if (startedCluster) {
      Run r = run(List.of("scripts/cluster", "start"));
      assertEquals(0, r.code(), r.out());
    }
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (startedCluster) {
      run(List.of("scripts/cluster", "stop"));
    }
  }

  @Test
  void ingestAndAggregatesRunInClusterDeployMode() throws Exception {
    // 20 minutes across midnight: the hour before it closes too.
    SimulatedTopic topic = SimulatedTopic.create("cluster", Map.of("simulate.duration", "20m", "simulate.start",
        java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.DAYS).minus(java.time.Duration.ofMinutes(10))
            .toString()));
    String root = TestSpark.newFolder("cluster").toString();
    String keyspace = "it_cluster_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    Map<String, String> common = Map.of("--kafka.events-topic", topic.topic, "--delta.root", root,
        "--checkpoint.root", root + "-checkpoints");

    Run refused = submit("ingest", common, "--cassandra.keyspace", keyspace);
    assertEquals(1, refused.code(), "a driver that fails makes scripts/submit fail: " + refused.out());
    assertTrue(refused.out().contains("ended FAILED"), refused.out());

    // Both at once, as on a shared cluster: each application gets 2 one-core executors.
    Started ingest = start(submitCommand("ingest", common, "--trigger", "available-now"));
    Started aggregates = start(submitCommand("aggregates", common, "--cassandra.keyspace", keyspace, "--trigger",
        "available-now", "--max-offsets-per-trigger", "3000"));
    Run ingested = finish(ingest);
    Run aggregated = finish(aggregates);
    assertEquals(0, ingested.code(), ingested.out());
    assertEquals(0, aggregated.code(), aggregated.out());
    IngestAssertions.assertExactlyOnce(root, topic);

    Map<String, String> settings = new HashMap<>();
    common.forEach((k, v) -> settings.put(k.substring(2), v));
    settings.put("cassandra.keyspace", keyspace);
    settings.put("kafka.bootstrap-servers", LocalServicesExtension.services().kafkaBootstrapServers());
    settings.put("cassandra.contact-points", LocalServicesExtension.services().cassandraHost());
    settings.put("cassandra.port", String.valueOf(LocalServicesExtension.services().cassandraPort()));
    AggregatesOptions o = AggregatesOptions.from(Settings.of(settings));
    // Percentiles too: they depend only on each window's values, however the cluster split them.
    AggregateAssertions.assertFinalsEqualBatch(root, root, o.spec());
    SparkSession spark = TestSpark.session();
    Dataset<Row> served = AggregateAssertions.served(o.cassandra(), WindowServing.DEVICE_TABLE);
    Dataset<Row> history = spark.read().format("delta").load(root + "/aggregates").where("level = 'device'");
    assertEquals(history.count(), served.where("final").count(), "every final window served from Cassandra");

    // Both ran as drivers on the cluster, with executors on both workers.
    JsonNode master = new ObjectMapper().readTree(URI.create("http://127.0.0.1:18080/json/").toURL());
    for (String name : List.of("iotpipe-ingest", "iotpipe-aggregates")) {
      JsonNode app = null;
      for (JsonNode a : master.get("completedapps")) {
        if (a.get("name").asText().equals(name)) {
          app = a;
        }
      }
      assertTrue(app != null, name + " ran on the cluster: " + master);
      assertEquals("FINISHED", app.get("state").asText());
      for (String worker : List.of("worker-1", "worker-2")) {
        assertTrue(Files.isDirectory(HOME.resolve("work/spark-cluster").resolve(worker).resolve(app.get("id").asText())),
            name + " had an executor on " + worker);
      }
    }
    long finishedDrivers = 0;
    for (JsonNode d : master.get("completeddrivers")) {
      finishedDrivers += d.get("state").asText().equals("FINISHED") ? 1 : 0;
    }
    assertTrue(finishedDrivers >= 2, "the drivers ran on the cluster: " + master.get("completeddrivers"));
  }

  record Run(int code, String out) {}

  private static Run submit(String job, Map<String, String> options, String... more) throws Exception {
    return finish(start(submitCommand(job, options, more)));
  }

  private static List<String> submitCommand(String job, Map<String, String> options, String... more) {
    List<String> cmd = new ArrayList<>(List.of("scripts/submit", job, "--master", "spark://127.0.0.1:17077",
        "--deploy-mode", "cluster", "--conf", "spark.cores.max=2", "--conf", "spark.executor.cores=1"));
    options.forEach((k, v) -> {
      cmd.add(k);
      cmd.add(v);
    });
    cmd.addAll(List.of(more));
    return cmd;
  }

  private static Run run(List<String> command) throws IOException, InterruptedException {
    return finish(start(command));
  }

  /** A started script and the file its output goes to (two at once never block on a full pipe). */
  record Started(Process process, Path output) {}

  private static Started start(List<String> command) throws IOException {
    Path output = Files.createTempFile(HOME.resolve("jobs/target"), "script-", ".log");
    ProcessBuilder pb = new ProcessBuilder(command).directory(HOME.toFile()).redirectErrorStream(true)
        .redirectOutput(output.toFile());
    // The build running this test has just packaged the application jar: no nested build.
    pb.environment().put("IOTPIPE_SKIP_BUILD", "1");
    return new Started(pb.start(), output);
  }

  private static Run finish(Started s) throws IOException, InterruptedException {
    assertTrue(s.process().waitFor(15, TimeUnit.MINUTES), "a script did not end; see " + s.output());
    return new Run(s.process().exitValue(), Files.readString(s.output()));
  }
}
