package io.iotpipe.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iotpipe.config.Settings;
import io.iotpipe.jobs.SimulatedTopic;
import io.iotpipe.sim.MalformedKind;
import io.iotpipe.testing.LocalServicesExtension;
import io.iotpipe.testing.TestSpark;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The ingest job on the real local Kafka and Delta, checked record by record against what was sent. */
@ExtendWith(LocalServicesExtension.class)
class IngestIT {
  private static SimulatedTopic topic;

  @BeforeAll
  static void simulate() {
    topic = SimulatedTopic.create("ingest-it", Map.of());
  }

  static IngestOptions options(SimulatedTopic t, String deltaRoot, Map<String, String> extra) {
    Map<String, String> m = new HashMap<>(Map.of(
        "kafka.bootstrap-servers", LocalServicesExtension.services().kafkaBootstrapServers(),
        "kafka.events-topic", t.topic,
        "delta.root", deltaRoot,
        "checkpoint.root", deltaRoot + "-checkpoints",
        "ingest.trigger", "available-now"));
    m.putAll(extra);
    return IngestOptions.from(Settings.of(m));
  }

  @Test
  void everyRecordEndsUpValidQuarantinedOrADroppedDuplicate() throws Exception {
    assertEquals(EnumSet.allOf(MalformedKind.class), topic.summary.malformed().keySet(),
        "the simulated topic holds every malformed kind");
    String root = TestSpark.newFolder("delta").toString();
    IngestJob.Running run = IngestJob.startFromOptions(TestSpark.session(),
        options(topic, root, Map.of("ingest.max-offsets-per-trigger", "2000")));
    run.query().awaitTermination();
    IngestProgress.Totals totals = run.totals();

    IngestAssertions.assertExactlyOnce(root, topic);
    assertEquals(topic.summary.recordsSent(), totals.consumed());
    assertEquals(topic.summary.validEvents(), totals.valid());
    assertEquals(topic.summary.malformedTotal(), totals.quarantined());
    assertEquals(topic.summary.duplicates(), totals.duplicatesDropped());
    assertEquals(0, totals.unbalancedBatches());

    // A second run from the same checkpoint finds nothing new and changes nothing.
    long versionBefore = io.delta.tables.DeltaTable.forPath(TestSpark.session(), root + "/events")
        .history(1).first().getLong(0);
    IngestJob.Running again = IngestJob.startFromOptions(TestSpark.session(), options(topic, root, Map.of()));
    again.query().awaitTermination();
    assertEquals(0, again.totals().consumed());
    assertEquals(versionBefore, io.delta.tables.DeltaTable.forPath(TestSpark.session(), root + "/events")
        .history(1).first().getLong(0));
    IngestAssertions.assertExactlyOnce(root, topic);
  }
}
