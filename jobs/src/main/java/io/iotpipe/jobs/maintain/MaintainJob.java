package io.iotpipe.jobs.maintain;

import static org.apache.spark.sql.functions.col;

import io.delta.tables.DeltaOptimizeBuilder;
import io.delta.tables.DeltaTable;
import io.iotpipe.aggregate.AggregateTables;
import io.iotpipe.config.InvalidOptionException;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.TableSpec;
import io.iotpipe.features.FeatureStore;
import io.iotpipe.health.HealthStore;
import io.iotpipe.jobs.Job;
import io.iotpipe.jobs.JobRunner;
import io.iotpipe.ml.Alerts;
import io.iotpipe.spark.SparkSessions;
import java.io.IOException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batch job {@code maintain}: for each Delta table, OPTIMIZE the recent partitions that have
 * more than one file (Z-ordered by the columns its readers filter by) and VACUUM files
 * unreferenced for longer than the retention; then trim the streaming checkpoints. Reports what
 * it did, table by table.
 */
public final class MaintainJob implements Job {
  private static final Logger LOG = LoggerFactory.getLogger(MaintainJob.class);

  /** Tables with a Z-order; any other Delta table under the root is compacted only. */
  static final List<TableSpec> LAYOUTS = List.of(TableSpec.EVENTS, TableSpec.QUARANTINE, AggregateTables.AGGREGATES,
      AggregateTables.LATE_EVENTS, FeatureStore.OFFLINE_LAYOUT, HealthStore.HISTORY, Alerts.TABLE);

  /** The number of tasks Delta's VACUUM lists a table's folders with. */
  private static final String LISTING_PARALLELISM = "spark.sql.sources.parallelPartitionDiscovery.parallelism";

  @Override
  public String name() {
    return "maintain";
  }

  @Override
  public String description() {
    return "Delta OPTIMIZE (Z-order) and VACUUM of every table, old checkpoint metadata removed";
  }

  @Override
  public List<OptionKey<?>> options() {
    return MaintainOptions.keys();
  }

  /** What was done (or, on a dry run, would be done) to one table. */
  public record TableReport(String table, List<String> zOrder, List<String> partitionsOptimized, long filesBefore,
      long filesAfter, long filesVacuumed) {}

  public record Report(List<TableReport> tables, List<CheckpointMaintenance.Report> checkpoints) {}

  public static Report maintain(SparkSession session, MaintainOptions o) throws IOException {
    // A session of its own: the listing parallelism must not leak into the caller's session.
    SparkSession spark = session.newSession();
    spark.conf().set(LISTING_PARALLELISM,
        o.listingParallelism().orElse(Math.max(2, 2 * spark.sparkContext().defaultParallelism())));
    List<String> tables = tables(spark, o);
    List<TableReport> reports = new ArrayList<>();
    for (String t : tables) {
      reports.add(maintainTable(spark, o, t));
    }
    Set<String> inUse = JobRunner.JOBS.stream()
        .filter(j -> j.options().stream().anyMatch(k -> k.name().equals(j.name() + ".checkpoint")))
        .map(Job::name).collect(Collectors.toSet());
    List<CheckpointMaintenance.Report> checkpoints = new CheckpointMaintenance(o.storage().checkpointRoot(),
        spark.sparkContext().hadoopConfiguration())
        .run(inUse, o.checkpointKeep(), o.checkpointIdle(), o.removeIdleCheckpoints(), o.dryRun());
    for (CheckpointMaintenance.Report c : checkpoints) {
      String verb = o.dryRun() ? "to remove" : "removed";
      LOG.info("maintain: checkpoint {}{}: last batch {}; {}", c.name(), o.dryRun() ? " (DRY RUN)" : "",
          c.lastBatch(), c.removed() ? "idle, whole checkpoint " + verb : c.batchesRemoved()
              + " older batches' offsets and commits " + verb + (c.idle() ? "; idle (kept: --"
              + MaintainOptions.REMOVE_IDLE_CHECKPOINTS.name() + " true removes it)" : ""));
    }
    return new Report(reports, checkpoints);
  }

  /** The tables to maintain; names that are not Delta tables under the root fail before any change. */
  private static List<String> tables(SparkSession spark, MaintainOptions o) throws IOException {
    Path root = new Path(o.storage().deltaRoot());
    FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
    List<String> found = new ArrayList<>();
    if (fs.exists(root)) {
      for (FileStatus f : fs.listStatus(root)) {
        if (f.isDirectory() && DeltaTable.isDeltaTable(spark, f.getPath().toString())) {
          found.add(f.getPath().getName());
        }
      }
    }
    found.sort(null);
    if (o.tables().isEmpty()) {
      return found;
    }
    for (String t : o.tables().get()) {
      if (!found.contains(t)) {
        throw new InvalidOptionException(MaintainOptions.TABLES.name(), "no Delta table '" + t + "' under "
            + o.storage().deltaRoot() + " (found " + found + ")");
      }
    }
    return o.tables().get();
  }

  private static TableReport maintainTable(SparkSession spark, MaintainOptions o, String name) {
    String path = new Path(o.storage().deltaRoot(), name).toString();
    DeltaTable table = DeltaTable.forPath(spark, path);
    Dataset<Row> data = table.toDF();
    List<String> zOrder = LAYOUTS.stream().filter(l -> l.name().equals(name)).findFirst()
        .map(TableSpec::zOrderColumns).orElse(List.of()).stream()
        .filter(c -> Arrays.asList(data.columns()).contains(c)).toList();
    Optional<String> dateColumn = dateColumn(table);

    // Partitions (in the optimize range) written as more than one file: new appends since the last OPTIMIZE.
    Dataset<Row> candidates = data;
    if (dateColumn.isPresent() && o.optimizeDays() > 0) {
      LocalDate since = LocalDate.now(ZoneOffset.UTC).minusDays(o.optimizeDays() - 1L);
      candidates = candidates.where(col(dateColumn.get()).geq(java.sql.Date.valueOf(since)));
    }
    // The snapshot's file list (metadata only: no data file is read), counted by partition value.
    Map<String, Long> filesByPartition = new TreeMap<>();
    for (String file : candidates.inputFiles()) {
      String partition = dateColumn.map(c -> partitionValue(file, c)).orElse("*");
      filesByPartition.merge(partition, 1L, Long::sum);
    }
    List<String> toOptimize = filesByPartition.entrySet().stream().filter(e -> e.getValue() > 1)
        .map(Map.Entry::getKey).toList();
    long filesBefore = toOptimize.stream().mapToLong(filesByPartition::get).sum();
    long filesAfter = filesBefore;
    if (!toOptimize.isEmpty() && !o.dryRun()) {
      DeltaOptimizeBuilder optimize = table.optimize();
      if (dateColumn.isPresent()) {
        optimize = optimize.where(dateColumn.get() + " IN (" + toOptimize.stream().map(p -> "'" + p + "'")
            .collect(Collectors.joining(", ")) + ")");
      }
      Dataset<Row> metrics = zOrder.isEmpty() ? optimize.executeCompaction()
          : optimize.executeZOrderBy(zOrder.toArray(String[]::new));
      Row m = metrics.select("metrics.numFilesAdded", "metrics.numFilesRemoved").first();
      filesAfter = filesBefore - m.getLong(1) + m.getLong(0);
    }

    // VACUUM's own dry run lists the files it would delete; only then delete them.
    long hours = o.vacuumRetention().toHours();
    long vacuumable = spark.sql("VACUUM delta.`" + path + "` RETAIN " + hours + " HOURS DRY RUN").count();
    if (vacuumable > 0 && !o.dryRun()) {
      table.vacuum(hours);
    }
    TableReport r = new TableReport(name, zOrder, toOptimize, filesBefore, filesAfter, vacuumable);
    LOG.info("maintain: {}{}: {}; VACUUM (retain {}h): {} unreferenced files {}", name, o.dryRun() ? " (DRY RUN)" : "",
        toOptimize.isEmpty() ? "no partition to OPTIMIZE" : String.format("OPTIMIZE%s %d partition(s) %s: %d files %s",
            zOrder.isEmpty() ? "" : " ZORDER BY " + zOrder, toOptimize.size(), toOptimize, filesBefore,
            o.dryRun() ? "to rewrite" : "-> " + filesAfter),
        hours, vacuumable, o.dryRun() ? "to delete" : "deleted");
    return r;
  }

  /** The value of partition column {@code column} in a data file's path (.../column=value/part-...). */
  private static String partitionValue(String file, String column) {
    int i = file.indexOf("/" + column + "=");
    if (i < 0) {
      throw new IllegalStateException("data file " + file + " is not under a " + column + "= folder");
    }
    int start = i + column.length() + 2;
    int end = file.indexOf('/', start);
    return file.substring(start, end);
  }

  /** The table's date partition column, if it is partitioned by one. */
  private static Optional<String> dateColumn(DeltaTable table) {
    Row detail = table.detail().select("partitionColumns").first();
    List<String> partitions = detail.getList(0);
    if (partitions.size() != 1) {
      return Optional.empty();
    }
    String c = partitions.get(0);
    return table.toDF().schema().apply(c).dataType().equals(DataTypes.DateType) ? Optional.of(c) : Optional.empty();
  }

  @Override
  public int run(Settings settings) throws Exception {
    MaintainOptions o = MaintainOptions.from(settings);
    SparkSession spark = SparkSessions.getOrCreate("iotpipe-maintain", settings.withPrefix("spark."));
    Report r = maintain(spark, o);
    long optimized = r.tables().stream().mapToLong(t -> t.partitionsOptimized().size()).sum();
    long vacuumed = r.tables().stream().mapToLong(TableReport::filesVacuumed).sum();
    long batches = r.checkpoints().stream().mapToLong(CheckpointMaintenance.Report::batchesRemoved).sum();
    long idleRemoved = r.checkpoints().stream().filter(CheckpointMaintenance.Report::removed).count();
    System.out.printf("MAINTAIN {\"dry_run\":%s,\"tables\":%d,\"partitions_optimized\":%d,\"files_vacuumed\":%d,"
            + "\"checkpoints\":%d,\"checkpoint_batches_removed\":%d,\"idle_checkpoints_removed\":%d}%n", o.dryRun(),
        r.tables().size(), optimized, vacuumed, r.checkpoints().size(), batches, idleRemoved);
    return 0;
  }
}
