package io.iotpipe.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iotpipe.testing.LocalServicesExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Configuration that only a live broker can judge still fails before anything is written. */
@ExtendWith(LocalServicesExtension.class)
class JobRunnerIT {
  @Test
  void aTopicThatDoesNotExistIsNamedBeforeAnythingIsWritten(@TempDir Path dir) {
    JobRunnerTest.Outcome o = JobRunnerTest.run("ingest", "--profile", "none",
        "--kafka.bootstrap-servers", LocalServicesExtension.services().kafkaBootstrapServers(),
        "--kafka.events-topic", "no-such-topic",
        "--delta.root", dir.resolve("delta").toString(), "--checkpoint.root", dir.resolve("cp").toString());
    assertEquals(2, o.code());
    assertTrue(o.err().contains("--kafka.events-topic: topic 'no-such-topic' does not exist on 127.0.0.1:"), o.err());
    assertFalse(Files.exists(dir.resolve("delta")));
    assertFalse(Files.exists(dir.resolve("cp")));
  }
}
