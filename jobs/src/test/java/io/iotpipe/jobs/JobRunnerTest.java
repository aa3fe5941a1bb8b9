package io.iotpipe.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad usage and bad configuration end the job before it does anything, naming the option. */
class JobRunnerTest {
  /** Exit code and standard error of one JobRunner call. */
  record Outcome(int code, String err, String out) {}

  static Outcome run(String... args) {
    PrintStream oldErr = System.err;
    PrintStream oldOut = System.out;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      int code = JobRunner.run(args);
      return new Outcome(code, err.toString(StandardCharsets.UTF_8), out.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(oldErr);
      System.setOut(oldOut);
    }
  }

  /** Arguments for ingest with a profile-free, complete configuration, plus extra. */
  static String[] ingest(Path dir, String... extra) {
    String[] base = {"ingest", "--profile", "none", "--kafka.bootstrap-servers", "127.0.0.1:1",
        "--delta.root", dir.resolve("delta").toString(), "--checkpoint.root", dir.resolve("cp").toString()};
    String[] all = new String[base.length + extra.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(extra, 0, all, base.length, extra.length);
    return all;
  }

  @Test
  void withoutArgumentsItPrintsUsage() {
    Outcome o = run();
    assertEquals(2, o.code());
    assertTrue(o.out().contains("usage: JobRunner <job>"), o.out());
    assertTrue(o.out().contains("ingest"), o.out());
  }

  @Test
  void anUnknownJobIsRefused() {
    Outcome o = run("ingset");
    assertEquals(2, o.code());
    assertTrue(o.err().contains("unknown job 'ingset'"), o.err());
  }

  @Test
  void anUnknownOptionIsRefusedWithAHint(@TempDir Path dir) {
    Outcome o = run(ingest(dir, "--dedup-windw", "5m"));
    assertEquals(2, o.code());
    assertTrue(o.err().contains("--dedup-windw: not an option of job ingest"), o.err());
    assertFalse(Files.exists(dir.resolve("delta")), "nothing written");
  }

  @Test
  void aBadValueNamesTheOptionBeforeAnythingIsWritten(@TempDir Path dir) {
    Outcome o = run(ingest(dir, "--trigger", "whenever"));
    assertEquals(2, o.code());
    assertTrue(o.err().contains("--ingest.trigger: 'whenever' is not a duration"), o.err());
    Outcome zero = run(ingest(dir, "--ingest.max-offsets-per-trigger", "0"));
    assertEquals(2, zero.code());
    assertTrue(zero.err().contains("--ingest.max-offsets-per-trigger: '0' is outside"), zero.err());
    assertFalse(Files.exists(dir.resolve("delta")), "nothing written");
    assertFalse(Files.exists(dir.resolve("cp")), "nothing written");
  }

  @Test
  void aBackfillRangeOrOutputThatMakesNoSenseIsRefusedBeforeAnythingIsWritten(@TempDir Path dir) {
    String delta = dir.resolve("delta").toString();
    Outcome backwards = run("backfill", "--profile", "none", "--delta.root", delta, "--checkpoint.root", delta, "--cassandra.contact-points", "h",
        "--from", "2026-11-28", "--to", "2026-11-27");
    assertEquals(2, backwards.code());
    assertTrue(backwards.err().contains("--backfill.to: 2026-11-27 is before --backfill.from 2026-11-28"),
        backwards.err());
    Outcome unknown = run("backfill", "--profile", "none", "--delta.root", delta, "--checkpoint.root", delta, "--cassandra.contact-points", "h",
        "--from", "2026-11-28", "--jobs", "aggregates,featurs");
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("--backfill.jobs: 'featurs' is not one of"), unknown.err());
    Outcome noDate = run("backfill", "--profile", "none", "--delta.root", delta, "--checkpoint.root", delta, "--cassandra.contact-points", "h",
        "--from", "yesterday");
    assertEquals(2, noDate.code());
    assertTrue(noDate.err().contains("--backfill.from: 'yesterday' is not a date like 2026-11-28"), noDate.err());
    assertFalse(Files.exists(dir.resolve("delta")), "nothing written");
  }

  @Test
  void aStartTimestampMustBeAnInstant(@TempDir Path dir) {
    Outcome o = run(ingest(dir, "--ingest.starting-offsets", "timestamp:yesterday"));
    assertEquals(2, o.code());
    assertTrue(o.err().contains("--ingest.starting-offsets: 'timestamp:yesterday' is not timestamp:<ISO instant>"),
        o.err());
  }

  @Test
  void aVacuumRetentionThatCouldBreakReadersIsRefused(@TempDir Path dir) {
    Outcome o = run("maintain", "--profile", "none", "--delta.root", dir.resolve("delta").toString(),
        "--checkpoint.root", dir.resolve("cp").toString(), "--vacuum-retention", "24h");
    assertEquals(2, o.code());
    assertTrue(o.err().contains("--maintain.vacuum-retention: '24h' is shorter than the minimum PT168H"), o.err());
  }

  @Test
  void optionsCanComeAsSparkSettingsForDriversInClusterMode() {
    java.util.Properties p = new java.util.Properties();
    p.setProperty("spark.iotpipe.kafka.events-topic", "t");
    p.setProperty("spark.iotpipe.delta.root", "hdfs:///d");
    p.setProperty("spark.sql.shuffle.partitions", "8");
    assertEquals(java.util.Map.of("kafka.events-topic", "t", "delta.root", "hdfs:///d"), JobRunner.fromSparkConf(p));
  }

  @Test
  void aPasswordOnTheCommandLineIsRefusedAndNotEchoed(@TempDir Path dir) {
    Outcome o = run(ingest(dir, "--kafka.password", "hunter2"));
    assertEquals(2, o.code());
    assertTrue(o.err().contains("IOTPIPE_KAFKA_PASSWORD"), o.err());
    assertFalse(o.err().contains("hunter2"), o.err());
  }

  @Test
  void aMisspeltKeyInAProfileIsRefused(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("typo.properties"), "kafka.bootstrap-servers=h:1\nkafka.event-topic=x\n");
    Outcome o = run("ingest", "--conf-dir", dir.toString(), "--profile", "typo");
    assertEquals(2, o.code());
    assertTrue(o.err().contains("--kafka.event-topic: unknown option (set in " + dir.resolve("typo.properties")), o.err());
    assertTrue(o.err().contains("did you mean --kafka.events-topic?"), o.err());
  }

  @Test
  void helpListsEveryOptionWithItsDefault() {
    Outcome o = run("ingest", "--help");
    assertEquals(0, o.code());
    assertTrue(o.out().contains("--dedup.horizon"), o.out());
    assertTrue(o.out().contains("default PT10M"), o.out());
  }

  @Test
  void everyJobsReadmeEndsWithItsCurrentOptionTable() throws Exception {
    for (Job job : JobRunner.JOBS) {
      String readme = Files.readString(Path.of(System.getProperty("iotpipe.home"), JobRunner.readmeFolder(job), "README.md"));
      assertTrue(readme.endsWith(JobRunner.markdown(job)),
          job.name() + "/README.md does not end with its current option table; run scripts/dev/update-job-readmes");
    }
  }

  @Test
  void theShippedLocalProfileIsValidForEveryJob() {
    // Every key in conf/local.properties must be an option some job or the launcher knows.
    io.iotpipe.config.Settings s = io.iotpipe.config.Settings.load(
        Path.of(System.getProperty("iotpipe.home"), "conf"), "local", java.util.Map.of());
    s.rejectUnknown(JobRunner.namespaces(), JobRunner.allOptions());
  }
}
