package io.iotpipe.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import io.iotpipe.config.Settings;
import io.iotpipe.local.LocalServices;
import io.iotpipe.testing.LocalServicesExtension;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LocalServicesExtension.class)
class InFlightWritesIT {
  private static final String KS = "it_writes_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
  private static CqlSession session;

  @BeforeAll
  static void keyspace() {
    LocalServices s = LocalServicesExtension.services();
    session = CassandraOptions.from(Settings.of(Map.of("cassandra.contact-points", s.cassandraHost(),
        "cassandra.port", String.valueOf(s.cassandraPort()), "cassandra.keyspace", KS)).withEnvironment(Map.of()))
        .openSession();
    session.execute("CREATE KEYSPACE " + KS + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    session.execute("CREATE TABLE " + KS + ".t (k int PRIMARY KEY, v int)");
  }

  @AfterAll
  static void drop() {
    session.execute("DROP KEYSPACE IF EXISTS " + KS);
    session.close();
  }

  @Test
  void closeReturnsOnceEveryWriteIsStored() {
    PreparedStatement insert = session.prepare("INSERT INTO " + KS + ".t (k, v) VALUES (?, ?)");
    try (InFlightWrites writes = new InFlightWrites(session, 4)) {
      for (int k = 0; k < 1_000; k++) {
        writes.send(insert.bind(k, k * 2));
      }
      assertEquals(1_000, writes.sent());
    }
    assertEquals(1_000, session.execute("SELECT count(*) FROM " + KS + ".t").one().getLong(0));
    assertEquals(1_998, session.execute("SELECT v FROM " + KS + ".t WHERE k = 999").one().getInt(0));
  }

  @Test
  void aFailedWriteFailsTheNextSendOrTheClose() {
    SimpleStatement bad = SimpleStatement.newInstance("INSERT INTO " + KS + ".no_such_table (k, v) VALUES (1, 1)");
    InFlightWrites writes = new InFlightWrites(session, 1);
    writes.send(bad);
    // With one in flight, the next send waits for the failed write and then refuses.
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> writes.send(SimpleStatement.newInstance("INSERT INTO " + KS + ".t (k, v) VALUES (-1, -1)")));
    assertTrue(e.getCause() instanceof InvalidQueryException, String.valueOf(e.getCause()));
    assertThrows(IllegalStateException.class, writes::close);
    assertEquals(0, session.execute("SELECT count(*) FROM " + KS + ".t WHERE k = -1").one().getLong(0));
  }
}
