package io.iotpipe.delta;

import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import java.util.List;

/** Where the Delta tables and the streaming checkpoints live (local paths or s3a://, abfss://, hdfs:// URIs). */
public record StorageOptions(String deltaRoot, String checkpointRoot) {
  public static final OptionKey<String> DELTA_ROOT = OptionKey.location("delta.root", null,
      "folder or URI under which every Delta table has its folder");
  public static final OptionKey<String> CHECKPOINT_ROOT = OptionKey.location("checkpoint.root", null,
      "folder or URI under which each streaming job keeps its checkpoint (shared storage on a cluster)");

  public static final List<OptionKey<?>> KEYS = List.of(DELTA_ROOT, CHECKPOINT_ROOT);

  public static StorageOptions from(Settings s) {
    return new StorageOptions(s.get(DELTA_ROOT), s.get(CHECKPOINT_ROOT));
  }

  public String table(TableSpec t) {
    return t.path(deltaRoot);
  }

  /** The default checkpoint of a job; a job option may point elsewhere. */
  public String checkpoint(String job) {
    return checkpointRoot.endsWith("/") ? checkpointRoot + job : checkpointRoot + "/" + job;
  }
}
