package io.iotpipe.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iotpipe.testing.LocalServicesExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The launcher's view of the services it started (the extension started or reused them). */
@ExtendWith(LocalServicesExtension.class)
class LocalServicesIT {
  @Test
  void bothServicesRunAndServeClients() {
    LocalServices s = LocalServicesExtension.services();
    assertTrue(s.ready(), "a Kafka round trip and a CQL query succeed");
    String status = s.status();
    assertTrue(status.matches("(?s)kafka\\s+running\\s+pid \\d+\\s+127\\.0\\.0\\.1:19092.*"), status);
    assertTrue(status.matches("(?s).*cassandra\\s+running\\s+pid \\d+\\s+127\\.0\\.0\\.1:19042.*"), status);
  }

  @Test
  void startingAgainStartsNothing() {
    assertEquals(List.of(), LocalServicesExtension.services().start());
  }
}
