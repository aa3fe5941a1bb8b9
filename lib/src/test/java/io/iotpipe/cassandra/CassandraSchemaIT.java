package io.iotpipe.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import io.iotpipe.config.Settings;
import io.iotpipe.local.LocalServices;
import io.iotpipe.testing.LocalServicesExtension;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LocalServicesExtension.class)
class CassandraSchemaIT {
  @Test
  void migratingTwiceAppliesEachMigrationOnce() {
    LocalServices s = LocalServicesExtension.services();
    String ks = "it_schema_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    CassandraOptions o = CassandraOptions.from(Settings.of(Map.of("cassandra.contact-points", s.cassandraHost(),
        "cassandra.port", String.valueOf(s.cassandraPort()), "cassandra.keyspace", ks)).withEnvironment(Map.of()));
    try (CqlSession session = o.openSession()) {
      assertEquals(CassandraSchema.MIGRATIONS, CassandraSchema.migrate(session, o));
      assertEquals(List.of(), CassandraSchema.migrate(session, o));
      assertEquals(CassandraSchema.MIGRATIONS.size(),
          session.execute("SELECT count(*) FROM " + ks + ".schema_migrations").one().getLong(0));
      for (String table : List.of("device_windows", "fleet_windows", "fleet_window_state", "device_features", "alerts",
          "device_status", "device_transitions", "device_alarms")) {
        assertTrue(session.getMetadata().getKeyspace(ks).orElseThrow().getTable(table).isPresent(), table);
      }
      session.execute("DROP KEYSPACE " + ks);
    }
  }
}
