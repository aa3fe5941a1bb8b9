package io.iotpipe.jobs.maintain;

import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.StorageOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The options of job {@code maintain}; see its README. */
public record MaintainOptions(StorageOptions storage, Optional<List<String>> tables, int optimizeDays,
    Duration vacuumRetention, int checkpointKeep, Duration checkpointIdle, boolean removeIdleCheckpoints,
    boolean dryRun, Optional<Integer> listingParallelism) {

  /**
   * Delta's own safety floor: a reader (a notebook, a backfill pinned to a version, a job that
   * falls behind) may still read files removed by a commit up to this long ago.
   */
  public static final Duration MIN_VACUUM_RETENTION = Duration.ofDays(7);

  public static final OptionKey<List<String>> TABLES = new OptionKey<>("maintain.tables", "names, comma separated",
      null, "Delta tables to maintain (default: every table under delta.root)", s -> {
        List<String> t = Arrays.stream(s.split(",")).map(String::trim).filter(n -> !n.isEmpty()).toList();
        if (t.isEmpty()) {
          throw new IllegalArgumentException("names no table");
        }
        return t;
      });
  public static final OptionKey<Integer> OPTIMIZE_DAYS = OptionKey.integer("maintain.optimize-days", 7, 0, 3650,
      "OPTIMIZE the partitions of the last this many days (UTC dates; late data and backfills rewrite recent "
          + "days); 0 = all partitions");
  public static final OptionKey<Duration> VACUUM_RETENTION = OptionKey.duration("maintain.vacuum-retention",
      MIN_VACUUM_RETENTION, MIN_VACUUM_RETENTION,
      "VACUUM deletes files unreferenced for longer than this (at least 7 days, so running readers keep theirs)");
  public static final OptionKey<Integer> CHECKPOINT_KEEP = OptionKey.integer("maintain.checkpoint-keep", 100, 10, 100_000,
      "micro-batches of offsets and commits kept in each streaming checkpoint (Spark keeps 100 by default)");
  public static final OptionKey<Duration> CHECKPOINT_IDLE = OptionKey.duration("maintain.checkpoint-idle",
      Duration.ofDays(14), Duration.ofDays(1),
      "a checkpoint that is no job's default and has committed nothing for this long is idle (a finished reprocess)");
  public static final OptionKey<Boolean> REMOVE_IDLE_CHECKPOINTS = OptionKey.bool("maintain.remove-idle-checkpoints",
      false, "delete idle checkpoints (default: only report them)");
  public static final OptionKey<Boolean> DRY_RUN = OptionKey.bool("maintain.dry-run", false,
      "report what would be done, change nothing");

  public static final OptionKey<Integer> LISTING_PARALLELISM = OptionKey.integer("maintain.listing-parallelism", null,
      1, 100_000, "tasks VACUUM lists a table's folders with (default: twice the cluster's cores; Spark's "
          + "default of 10,000 makes VACUUM of a small table take minutes)");

  public static List<OptionKey<?>> keys() {
    List<OptionKey<?>> keys = new ArrayList<>(StorageOptions.KEYS);
    keys.addAll(List.of(TABLES, OPTIMIZE_DAYS, VACUUM_RETENTION, CHECKPOINT_KEEP, CHECKPOINT_IDLE,
        REMOVE_IDLE_CHECKPOINTS, DRY_RUN, LISTING_PARALLELISM));
    return keys;
  }

  public static MaintainOptions from(Settings s) {
    return new MaintainOptions(StorageOptions.from(s), s.find(TABLES), s.get(OPTIMIZE_DAYS),
        s.get(VACUUM_RETENTION), s.get(CHECKPOINT_KEEP), s.get(CHECKPOINT_IDLE),
        s.get(REMOVE_IDLE_CHECKPOINTS), s.get(DRY_RUN), s.find(LISTING_PARALLELISM));
  }
}
