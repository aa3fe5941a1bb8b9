package io.iotpipe.delta;

import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import java.util.List;
import java.util.Optional;

/**
 * Where the Delta tables and the streaming checkpoints live (local paths or s3a://, abfss://,
 * hdfs:// URIs), and the catalog database that names the tables (see {@link NamedTables}).
 */
public record StorageOptions(String deltaRoot, String checkpointRoot, Optional<String> database) {
  public static final OptionKey<String> DELTA_ROOT = OptionKey.location("delta.root", null,
      "folder or URI under which every Delta table has its folder");
  public static final OptionKey<String> CHECKPOINT_ROOT = OptionKey.location("checkpoint.root", null,
      "folder or URI under which each streaming job keeps its checkpoint (shared storage on a cluster)");
  public static final OptionKey<String> CATALOG_DATABASE = new OptionKey<>("catalog.database", "identifier", null,
      "database of the session's catalog in which the jobs register each table they create, by name"
          + " (unset: tables are reachable by path only)", s -> {
        // Hive's metastore keeps names in lower case; a plain identifier needs no quoting anywhere.
        if (!s.trim().matches("[a-z_][a-z0-9_]{0,127}")) {
          throw new IllegalArgumentException("'" + s + "' is not a database name (lower case letters, digits, _)");
        }
        return s.trim();
      });

  public static final List<OptionKey<?>> KEYS = List.of(DELTA_ROOT, CHECKPOINT_ROOT, CATALOG_DATABASE);

  public static StorageOptions from(Settings s) {
    return new StorageOptions(s.get(DELTA_ROOT), s.get(CHECKPOINT_ROOT), s.find(CATALOG_DATABASE));
  }

  public String table(TableSpec t) {
    return t.path(deltaRoot);
  }

  /** The default checkpoint of a job; a job option may point elsewhere. */
  public String checkpoint(String job) {
    return checkpointRoot.endsWith("/") ? checkpointRoot + job : checkpointRoot + "/" + job;
  }
}
