package io.iotpipe.delta;

import io.delta.tables.DeltaTable;
import io.iotpipe.event.EventFields;
import io.iotpipe.event.EventSchema;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * A Delta table of the suite: its name (the folder under {@code delta.root}), schema, partition
 * columns and the columns its readers filter by within a partition, which the {@code maintain}
 * job Z-orders it by. Jobs create their tables up front, so that readers find a table with the
 * right schema even before the first row arrives.
 */
public record TableSpec(String name, StructType schema, List<String> partitionColumns, List<String> zOrderColumns) {

  public TableSpec(String name, StructType schema, List<String> partitionColumns) {
    this(name, schema, partitionColumns, List.of());
  }

  /** This table, Z-ordered by {@code columns} (most selective filter first). */
  public TableSpec zOrderBy(String... columns) {
    return new TableSpec(name, schema, partitionColumns, List.of(columns));
  }

  /** Every valid event, once, partitioned by the UTC date of its event time. */
  public static final TableSpec EVENTS =
      new TableSpec("events", EventSchema.EVENTS_TABLE, List.of(EventFields.EVENT_DATE))
          .zOrderBy(EventFields.TENANT_ID, EventFields.DEVICE_ID);

  /** Every refused record with its raw bytes and reason, partitioned by the UTC date it arrived. */
  public static final TableSpec QUARANTINE =
      new TableSpec("quarantine", EventSchema.QUARANTINE_TABLE, List.of(EventFields.INGEST_DATE))
          .zOrderBy(EventFields.REASON, EventFields.TENANT_ID);

  public String path(String deltaRoot) {
    return deltaRoot.endsWith("/") ? deltaRoot + name : deltaRoot + "/" + name;
  }

  /** The table, or no rows of its schema when there is no table yet (for readers that must not create it). */
  public Dataset<Row> readOrEmpty(SparkSession spark, String deltaRoot) {
    return DeltaTable.isDeltaTable(spark, path(deltaRoot))
        ? spark.read().format("delta").load(path(deltaRoot))
        : spark.createDataFrame(List.of(), schema);
  }

  /**
   * Creates the table at its path unless a Delta table is there already, and registers it by
   * name when {@code storage} names a catalog database ({@link NamedTables}). A name registered
   * elsewhere fails before the table is created.
   */
  public void createIfMissing(SparkSession spark, StorageOptions storage) {
    String location = NamedTables.qualified(spark, path(storage.deltaRoot()));
    storage.database().ifPresent(db -> NamedTables.checkRegistration(spark, db, name, location));
    DeltaTable.createIfNotExists(spark)
        .location(location)
        .addColumns(schema)
        .partitionedBy(partitionColumns.toArray(String[]::new))
        .execute();
    storage.database().ifPresent(db -> NamedTables.register(spark, db, name, location));
  }
}
