package io.iotpipe.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iotpipe.config.InvalidOptionException;
import io.iotpipe.config.Settings;
import io.iotpipe.testing.TestSpark;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

class NamedTablesTest {
  private final SparkSession spark = TestSpark.session();

  private static StorageOptions storage(String root, String database) {
    return new StorageOptions(root, root + "-checkpoints", Optional.ofNullable(database));
  }

  @Test
  void aCreatedTableIsQueryableByNameAndRegisteringAgainChangesNothing() throws Exception {
    String root = TestSpark.newFolder("named").toString();
    StorageOptions s = storage(root, "named_tables_test");
    TableSpec.QUARANTINE.createIfMissing(spark, s);
    TableSpec.QUARANTINE.createIfMissing(spark, s); // idempotent: no error, one registration
    assertEquals(0L, spark.sql("SELECT count(*) FROM named_tables_test.quarantine").first().getLong(0));
    spark.sql("INSERT INTO named_tables_test.quarantine (reason, ingest_date) VALUES ('bad_json', DATE'2026-12-02')");
    // The name and the path are one table.
    assertEquals(1L, spark.read().format("delta").load(s.table(TableSpec.QUARANTINE)).count());
    assertEquals("EXTERNAL", spark.catalog().getTable("named_tables_test.quarantine").tableType());
  }

  @Test
  void aNameRegisteredAtAnotherLocationFailsNamingTheOptionBeforeAnyTableIsCreated() {
    String first = TestSpark.newFolder("named-a").toString();
    String second = TestSpark.newFolder("named-b").toString();
    TableSpec.QUARANTINE.createIfMissing(spark, storage(first, "named_tables_moved"));
    InvalidOptionException e = assertThrows(InvalidOptionException.class,
        () -> TableSpec.QUARANTINE.createIfMissing(spark, storage(second, "named_tables_moved")));
    assertEquals("catalog.database", e.key());
    assertTrue(e.getMessage().contains("named_tables_moved.quarantine is registered at"), e.getMessage());
    assertFalse(io.delta.tables.DeltaTable.isDeltaTable(spark, storage(second, null).table(TableSpec.QUARANTINE)));
  }

  @Test
  void withoutADatabaseTheTableIsCreatedByPathOnly() {
    String root = TestSpark.newFolder("unnamed").toString();
    TableSpec.EVENTS.createIfMissing(spark, storage(root, null));
    assertTrue(io.delta.tables.DeltaTable.isDeltaTable(spark, storage(root, null).table(TableSpec.EVENTS)));
  }

  @Test
  void theDatabaseOptionTakesPlainLowerCaseIdentifiersOnly() {
    assertEquals(Optional.of("iotpipe"), Settings.of(Map.of("catalog.database", "iotpipe")).find(StorageOptions.CATALOG_DATABASE));
    for (String bad : new String[] {"Iotpipe", "a-b", "x; DROP", "`x`", "a.b"}) {
      InvalidOptionException e = assertThrows(InvalidOptionException.class,
          () -> Settings.of(Map.of("catalog.database", bad)).find(StorageOptions.CATALOG_DATABASE));
      assertEquals("catalog.database", e.key());
    }
  }
}
