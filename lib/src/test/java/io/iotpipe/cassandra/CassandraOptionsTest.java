package io.iotpipe.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.iotpipe.config.InvalidOptionException;
import io.iotpipe.config.Settings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CassandraOptionsTest {
  static CassandraOptions of(Map<String, String> m) {
    return CassandraOptions.from(Settings.of(m).withEnvironment(Map.of()));
  }

  @Test
  void replicationIsWrittenAsACqlMap() {
    assertEquals("{'class': 'SimpleStrategy', 'replication_factor': 1}",
        of(Map.of("cassandra.contact-points", "a")).replicationCql());
    assertEquals("{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 2}",
        of(Map.of("cassandra.contact-points", "a", "cassandra.replication", "NetworkTopologyStrategy:dc1=3,dc2=2"))
            .replicationCql());
    InvalidOptionException e = assertThrows(InvalidOptionException.class,
        () -> of(Map.of("cassandra.contact-points", "a", "cassandra.replication", "3")));
    assertEquals("cassandra.replication", e.key());
  }

  @Test
  void keyspaceMustBeAnIdentifier() {
    InvalidOptionException e = assertThrows(InvalidOptionException.class,
        () -> of(Map.of("cassandra.contact-points", "a", "cassandra.keyspace", "iot; DROP")));
    assertEquals("cassandra.keyspace", e.key());
  }

  @Test
  void aUserNeedsAPasswordAndThePasswordStaysOutOfText() {
    assertThrows(InvalidOptionException.class,
        () -> of(Map.of("cassandra.contact-points", "a", "cassandra.username", "svc")));
    CassandraOptions o = CassandraOptions.from(Settings.of(Map.of("cassandra.contact-points", "a, b",
        "cassandra.username", "svc")).withEnvironment(Map.of("IOTPIPE_CASSANDRA_PASSWORD", "s3cret")));
    assertEquals(List.of("a", "b"), o.contactPoints());
    assertEquals("s3cret", o.sparkConf().get("spark.cassandra.auth.password"));
    assertFalse(o.toString().contains("s3cret"));
  }

  @Test
  void migrationStatementsAreSplitWithoutComments() {
    assertEquals(List.of("CREATE TABLE a (x int PRIMARY KEY)", "CREATE TABLE b (y int PRIMARY KEY)"),
        CassandraSchema.statements("-- a comment; with a semicolon\nCREATE TABLE a (x int PRIMARY KEY);\n\n"
            + "CREATE TABLE b (y int PRIMARY KEY);\n"));
  }
}
