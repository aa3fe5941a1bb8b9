package io.iotpipe.delta;

import io.iotpipe.config.InvalidOptionException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.TableIdentifier;
import scala.Option;

/**
 * The suite's tables by name: each Delta table a job creates is registered in the session's
 * catalog as an external table at its location, in the database of option
 * {@code catalog.database}, so that {@code SELECT * FROM iotpipe.events} works from a job, a
 * notebook or spark-sql. Which catalog that is (Hive's metastore on a cluster, Spark's in-memory
 * one by default) is the session's setting, not the suite's.
 *
 * <p>Registration is idempotent. A name already registered at another location is refused,
 * naming the option, before the job writes anything: two deployments (or a moved
 * {@code delta.root}) sharing one database would otherwise point readers at the wrong data.
 */
public final class NamedTables {
  private NamedTables() {}

  /** The location of {@code path} as the catalog records it (absolute, with its scheme). */
  static String qualified(SparkSession spark, String path) {
    Path p = new Path(path);
    try {
      return p.getFileSystem(spark.sessionState().newHadoopConf()).makeQualified(p).toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Fails, naming the option, when {@code table} is registered in {@code database} at another
   * location than {@code location}; returns whether it is registered at all.
   */
  static boolean checkRegistration(SparkSession spark, String database, String table, String location) {
    Optional<String> registered = registeredLocation(spark, database, table);
    if (registered.isPresent() && !registered.get().equals(location)) {
      throw new InvalidOptionException(StorageOptions.CATALOG_DATABASE.name(), "table " + database + "." + table
          + " is registered at " + registered.get() + ", not at " + location + " where this job writes it;"
          + " give this deployment its own database, or drop the table from the catalog if the data moved");
    }
    return registered.isPresent();
  }

  /** Registers {@code table} at {@code location} unless it is; the database is created if missing. */
  static void register(SparkSession spark, String database, String table, String location) {
    if (checkRegistration(spark, database, table, location)) {
      return;
    }
    // IDENTIFIER(:db) binds the name as a parameter: nothing is pasted into the statement.
    spark.sql("CREATE DATABASE IF NOT EXISTS IDENTIFIER(:db)", Map.<String, Object>of("db", database));
    try {
      // Both parts are plain identifiers (the option's rule, the suite's constants).
      spark.catalog().createTable(database + "." + table, location, "delta");
    } catch (Exception e) { // Scala's AnalysisException, which Java sees as checked
      // Another job registered it in the meantime: fine if at the same location.
      if (!checkRegistration(spark, database, table, location)) {
        throw e instanceof RuntimeException r ? r
            : new IllegalStateException("cannot register " + database + "." + table + ": " + e.getMessage(), e);
      }
    }
  }

  private static Optional<String> registeredLocation(SparkSession spark, String database, String table) {
    // The session catalog's metadata, not a read of the table: a registered location that no
    // longer holds a table still has to be reported as such.
    var catalog = spark.sessionState().catalog();
    TableIdentifier id = new TableIdentifier(table, Option.apply(database));
    if (!catalog.databaseExists(database) || !catalog.tableExists(id)) {
      return Optional.empty();
    }
    try {
      return Optional.of(catalog.getTableMetadata(id).location().toString());
    } catch (Exception e) { // dropped in the meantime (Scala's checked NoSuchTableException)
      return Optional.empty();
    }
  }
}
