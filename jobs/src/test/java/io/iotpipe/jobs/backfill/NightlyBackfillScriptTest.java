package io.iotpipe.jobs.backfill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/nightly-backfill as a scheduler runs it, with the jobs replaced by a script that
 * records its arguments and exits as told (the jobs themselves are tested in BackfillIT and
 * MaintainIT): default day, arguments, exit codes, log file, lock.
 */
class NightlyBackfillScriptTest {
  @TempDir
  Path dir;
  Path calls;
  Path logs;

  record Run(int code, String out) {}

  @BeforeEach
  void fakeJob() throws IOException {
    calls = dir.resolve("calls");
    logs = dir.resolve("logs");
    Path job = dir.resolve("fake-job");
    Files.writeString(job, """
        #!/usr/bin/env bash
        echo "$*" >> "$FAKE_CALLS"
        echo "fake job $1 running"
        sleep "${FAKE_SLEEP:-0}"
        exit "${FAKE_EXIT:-0}"
        """);
    Files.setPosixFilePermissions(job, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  Process start(Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("iotpipe.home"), "scripts", "nightly-backfill").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("IOTPIPE_JOB_COMMAND", dir.resolve("fake-job").toString());
    pb.environment().put("IOTPIPE_LOG_DIR", logs.toString());
    pb.environment().put("FAKE_CALLS", calls.toString());
    pb.environment().putAll(env);
    return pb.start();
  }

  Run run(Map<String, String> env, String... args) throws Exception {
    Process p = start(env, args);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return new Run(p.exitValue(), out);
  }

  List<String> calls() throws IOException {
    return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
  }

  @Test
  void byDefaultItRecomputesYesterdayThenMaintainsAndLogs() throws Exception {
    Run r = run(Map.of());
    assertEquals(0, r.code(), r.out());
    String yesterday = LocalDate.now(ZoneOffset.UTC).minusDays(1).toString();
    assertEquals(List.of("backfill --from " + yesterday + " --to " + yesterday, "maintain"), calls());
    try (Stream<Path> files = Files.list(logs)) {
      List<Path> logFiles = files.filter(f -> f.getFileName().toString().endsWith(".log")).toList();
      assertEquals(1, logFiles.size());
      String log = Files.readString(logFiles.get(0));
      assertTrue(log.contains("fake job backfill running") && log.contains("fake job maintain running"), log);
      assertTrue(log.strip().endsWith("nightly-backfill: done"), log);
    }
  }

  @Test
  void daysTenantDryRunAndJobOptionsArePassedOn() throws Exception {
    Run r = run(Map.of(), "--date", "2026-03-01", "--days", "3", "--tenant", "t1", "--jobs", "features",
        "--dry-run", "--", "--profile", "prod");
    assertEquals(0, r.code(), r.out());
    assertEquals(List.of("backfill --from 2026-02-27 --to 2026-03-01 --tenant t1 --jobs features --dry-run true "
        + "--profile prod"), calls(), "a dry run does no maintenance");
  }

  @Test
  void exitCodesSayWhatWentWrong() throws Exception {
    Run failed = run(Map.of("FAKE_EXIT", "1"));
    assertEquals(1, failed.code());
    assertTrue(failed.out().contains("FAILED (exit 1)"), failed.out());
    assertEquals(1, calls().size(), "no maintenance after a failed backfill");
    assertEquals(2, run(Map.of("FAKE_EXIT", "2")).code(), "the job refused its options");
    assertEquals(1, run(Map.of("FAKE_EXIT", "137")).code(), "killed");

    Files.deleteIfExists(calls);
    Run badDate = run(Map.of(), "--date", "2026-13-01");
    assertEquals(2, badDate.code());
    assertTrue(badDate.out().contains("--date: '2026-13-01' is not a date"), badDate.out());
    assertEquals(2, run(Map.of(), "--dayz", "2").code());
    assertEquals(List.of(), calls(), "no job started on bad usage");
    Run help = run(Map.of(), "--help");
    assertEquals(0, help.code());
    assertTrue(help.out().contains("Exit codes: 0 done; 1 a job failed"), help.out());
  }

  @Test
  void aSecondRunWhileOneIsRunningExitsWith3() throws Exception {
    Process first = start(Map.of("FAKE_SLEEP", "5"), "--no-maintain");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (calls().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertFalse(calls().isEmpty(), "the first run started its job");
    Run second = run(Map.of(), "--no-maintain");
    assertEquals(3, second.code(), second.out());
    assertTrue(second.out().contains("another run holds"), second.out());
    assertTrue(first.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, first.exitValue());
    assertEquals(1, calls().size(), "the second run started nothing");
    assertEquals(0, run(Map.of(), "--no-maintain").code(), "the lock is released with the run");
  }
}
