package io.iotpipe.jobs.maintain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Removes old metadata from the streaming checkpoints under one folder: the offsets and commits
 * of all but the last micro-batches (a restart needs only the last one; Spark keeps
 * {@code spark.sql.streaming.minBatchesToRetain} of them while a query runs, and nothing trims
 * a checkpoint whose query no longer runs), and checkpoints that no job uses by default and that
 * committed nothing for a long time, such as a finished reprocess. State store files are left
 * to Spark, which knows which versions a restart needs.
 */
final class CheckpointMaintenance {
  /** What was (or, on a dry run, would be) done to one checkpoint. */
  record Report(String name, long lastBatch, int batchesRemoved, boolean idle, boolean removed) {}

  private final FileSystem fs;
  private final Path root;

  CheckpointMaintenance(String checkpointRoot, Configuration hadoop) {
    this.root = new Path(checkpointRoot);
    try {
      this.fs = root.getFileSystem(hadoop);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + checkpointRoot, e);
    }
  }

  /**
   * @param inUse the checkpoint folder names the jobs use by default: never idle
   */
  List<Report> run(Set<String> inUse, int keep, Duration idleAfter, boolean removeIdle, boolean dryRun)
      throws IOException {
    List<Report> reports = new ArrayList<>();
    if (!fs.exists(root)) {
      return reports;
    }
    for (FileStatus dir : fs.listStatus(root)) {
      Path cp = dir.getPath();
      if (!dir.isDirectory() || !fs.exists(new Path(cp, "offsets"))) {
        continue;
      }
      TreeSet<Long> offsets = batches(new Path(cp, "offsets"));
      TreeSet<Long> commits = batches(new Path(cp, "commits"));
      long last = offsets.isEmpty() ? -1 : offsets.last();
      long lastChange = newest(new Path(cp, "commits"), newest(new Path(cp, "offsets"), 0));
      boolean idle = !inUse.contains(cp.getName())
          && Instant.ofEpochMilli(lastChange).isBefore(Instant.now().minus(idleAfter));
      if (idle && removeIdle) {
        if (!dryRun) {
          fs.delete(cp, true);
        }
        reports.add(new Report(cp.getName(), last, 0, true, true));
        continue;
      }
      // Spark's own rule: keep the batches after last - keep; a restart reads the last offsets and commit.
      Set<Long> old = offsets.headSet(last - keep, true);
      for (long b : old) {
        delete(new Path(cp, "offsets"), b, dryRun);
      }
      for (long b : commits.headSet(last - keep, true)) {
        delete(new Path(cp, "commits"), b, dryRun);
      }
      reports.add(new Report(cp.getName(), last, old.size(), idle, false));
    }
    return reports;
  }

  private TreeSet<Long> batches(Path dir) throws IOException {
    TreeSet<Long> ids = new TreeSet<>();
    if (fs.exists(dir)) {
      for (FileStatus f : fs.listStatus(dir)) {
        String n = f.getPath().getName();
        if (n.chars().allMatch(Character::isDigit)) {
          ids.add(Long.parseLong(n));
        }
      }
    }
    return ids;
  }

  private long newest(Path dir, long atLeast) throws IOException {
    long newest = atLeast;
    if (fs.exists(dir)) {
      for (FileStatus f : fs.listStatus(dir)) {
        newest = Math.max(newest, f.getModificationTime());
      }
    }
    return newest;
  }

  /** Deletes one batch's file and its checksum file (the local file system writes one). */
  private void delete(Path dir, long batch, boolean dryRun) throws IOException {
    if (dryRun) {
      return;
    }
    fs.delete(new Path(dir, Long.toString(batch)), false);
    fs.delete(new Path(dir, "." + batch + ".crc"), false);
  }
}
