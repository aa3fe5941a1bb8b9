package io.iotpipe.jobs.bench;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A job run in its own JVM, so that its heap and resident set are its own: the benchmark's JVM
 * flags (those Spark needs on Java 17) and class path, a heap of its own, {@link BenchChild} as
 * main class and {@link BenchQueryListener} writing {@link #metricsFile()}.
 */
final class ChildJvm implements AutoCloseable {
  private final String name;
  private final Path metrics;
  private final Path log;
  private final Process process;

  private ChildJvm(String name, Path metrics, Path log, Process process) {
    this.name = name;
    this.metrics = metrics;
    this.log = log;
    this.process = process;
  }

  /**
   * Starts {@code BenchChild args...} as run {@code name}: its output goes to
   * {@code <out>/logs/<name>.log}, its metrics to {@code <out>/metrics/<name>.jsonl}, and with
   * {@code profile} a flight recording to {@code <out>/jfr/<name>.jfr}.
   */
  static ChildJvm start(String name, Path out, String heap, boolean profile, List<String> args) throws IOException {
    Path metrics = out.resolve("metrics").resolve(name + ".jsonl");
    Path log = out.resolve("logs").resolve(name + ".log");
    Files.createDirectories(metrics.getParent());
    Files.createDirectories(log.getParent());
    Files.deleteIfExists(metrics);
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-Xmx") && !a.startsWith("-XX:StartFlightRecording") && !a.startsWith("-D" + BenchQueryListener.FILE_PROPERTY)) {
        cmd.add(a);
      }
    }
    cmd.add("-Xmx" + heap);
    cmd.add("-D" + BenchQueryListener.FILE_PROPERTY + "=" + metrics.toAbsolutePath());
    if (profile) {
      Path jfr = out.resolve("jfr").resolve(name + ".jfr");
      Files.createDirectories(jfr.getParent());
      cmd.add("-XX:StartFlightRecording=filename=" + jfr.toAbsolutePath() + ",settings=profile,dumponexit=true");
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(BenchChild.class.getName());
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new ChildJvm(name, metrics, log, p);
  }

  String name() {
    return name;
  }

  Path metricsFile() {
    return metrics;
  }

  File logFile() {
    return log.toFile();
  }

  RunMetrics metrics() {
    return RunMetrics.read(metrics);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  int exitValue() {
    return process.exitValue();
  }

  /** Waits at most {@code seconds} for the JVM to end; true if it did. */
  boolean waitFor(long seconds) throws InterruptedException {
    return process.waitFor(seconds, TimeUnit.SECONDS);
  }

  /** Asks the JVM to stop (SIGTERM: the job stops its query) and waits; kills it after a minute. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }
}
