package io.iotpipe.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A server that runs in its own JVM from jars resolved off Maven Central, with its files under
 * one folder: {@code lib.classpath} (the resolved jars), {@code data/}, {@code logs/} and a
 * {@code pid} file that names the process it started (pid and start time, so that a recycled
 * pid is never mistaken for it).
 */
abstract class JvmService {
  protected final String name;
  protected final Path dir;

  JvmService(String name, Path dir) {
    this.name = name;
    this.dir = dir;
  }

  /** The Maven pom (a resource next to this class) that lists the server's jars. */
  abstract String pomResource();

  /** Writes configuration files and prepares data folders; called before each start. */
  abstract void configure(String classpath) throws IOException;

  /** JVM options and main class with its arguments. */
  abstract List<String> command();

  /** Succeeds once the server serves clients; throws while it does not. */
  abstract void probe() throws Exception;

  /** Where clients connect, for status output. */
  abstract String endpoint();

  /** Every port the server binds on 127.0.0.1. */
  abstract List<Integer> ports();

  Path dataDir() {
    return dir.resolve("data");
  }

  Path logDir() {
    return dir.resolve("logs");
  }

  Path pidFile() {
    return dir.resolve("pid");
  }

  /** The running process this launcher started, if any. */
  Optional<ProcessHandle> process() {
    try {
      if (!Files.isRegularFile(pidFile())) {
        return Optional.empty();
      }
      String[] parts = Files.readString(pidFile()).trim().split("\\s+");
      long pid = Long.parseLong(parts[0]);
      Instant started = Instant.parse(parts[1]);
      return ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          .filter(p -> p.info().startInstant().map(started::equals).orElse(false));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  boolean running() {
    return process().isPresent();
  }

  /** Starts the server unless it runs already; returns without waiting for it to be ready. */
  void launch() throws IOException, InterruptedException {
    if (running()) {
      return;
    }
    for (int port : ports()) {
      // Another process on our port would answer our readiness probe and pass for this server.
      try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
        probe.bind(new java.net.InetSocketAddress("127.0.0.1", port));
      } catch (IOException e) {
        throw new IllegalStateException(name + " cannot start: port " + port
            + " on 127.0.0.1 is taken by a process this launcher did not start (see conf/local.properties)");
      }
    }
    Files.createDirectories(dataDir());
    Files.createDirectories(logDir());
    String classpath = resolveClasspath();
    configure(classpath);
    List<String> cmd = new ArrayList<>();
    // setsid: the server gets its own session, so a Ctrl-C meant for the caller (or the end of
    // a test JVM) does not reach it; it stops when told to, by pid.
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      cmd.add("/usr/bin/setsid");
    }
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.addAll(command());
    Process p = new ProcessBuilder(cmd)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(logDir().resolve("stdout.log").toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .start();
    Instant started = p.toHandle().info().startInstant().orElseThrow();
    Files.writeString(pidFile(), p.pid() + " " + started + "\n");
  }

  /** Waits until {@link #probe()} succeeds; fails early if the process dies. */
  void awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      if (!running()) {
        throw new IllegalStateException(name + " exited during start-up; last lines of "
            + logDir().resolve("stdout.log") + ":\n" + tail(logDir().resolve("stdout.log"), 25));
      }
      try {
        probe();
        return;
      } catch (Exception e) {
        last = e;
        Thread.sleep(1000);
      }
    }
    throw new IllegalStateException(name + " did not become ready within " + timeout.toSeconds()
        + " s (last probe error: " + (last == null ? "none" : last) + "); see " + logDir(), last);
  }

  /** Stops the process this launcher started: SIGTERM, then SIGKILL after a grace period. */
  boolean stop(Duration grace) throws InterruptedException {
    Optional<ProcessHandle> p = process();
    if (p.isEmpty()) {
      deletePidFile();
      return false;
    }
    ProcessHandle h = p.get();
    h.destroy();
    try {
      h.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      h.destroyForcibly();
      try {
        h.onExit().get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e2) {
        throw new IllegalStateException(name + " (pid " + h.pid() + ") did not stop");
      }
    }
    deletePidFile();
    return true;
  }

  String describe() {
    return process()
        .map(p -> String.format("%-10s running  pid %-8d %-22s %s", name, p.pid(), endpoint(), dir))
        .orElse(String.format("%-10s stopped  %-12s %-22s %s", name, "", endpoint(), dir));
  }

  private void deletePidFile() {
    try {
      Files.deleteIfExists(pidFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The server's classpath, resolved once by Maven from the pom resource (the jars land in the
   * local Maven repository like every other dependency; nothing is downloaded by hand).
   */
  private String resolveClasspath() throws IOException, InterruptedException {
    Path pom = dir.resolve("server.pom.xml");
    Path cpFile = dir.resolve("lib.classpath");
    byte[] wanted;
    try (InputStream in = JvmService.class.getResourceAsStream(pomResource())) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + pomResource());
      }
      wanted = in.readAllBytes();
    }
    boolean fresh = Files.isRegularFile(cpFile) && Files.isRegularFile(pom)
        && java.util.Arrays.equals(Files.readAllBytes(pom), wanted);
    if (!fresh) {
      Files.write(pom, wanted);
      String mvn = System.getenv().getOrDefault("MAVEN_CMD", "mvn");
      Process p = new ProcessBuilder(mvn, "-q", "-B", "-f", pom.toString(),
          "dependency:build-classpath", "-Dmdep.outputFile=" + cpFile)
          .redirectErrorStream(true)
          .redirectOutput(logDir().resolve("maven-resolve.log").toFile())
          .start();
      if (p.waitFor() != 0 || !Files.isRegularFile(cpFile)) {
        Files.deleteIfExists(cpFile);
        throw new IllegalStateException("could not resolve the " + name + " jars with Maven; see "
            + logDir().resolve("maven-resolve.log") + ":\n" + tail(logDir().resolve("maven-resolve.log"), 20));
      }
    }
    return Files.readString(cpFile, StandardCharsets.UTF_8).trim();
  }

  static String tail(Path file, int lines) {
    try {
      List<String> all = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines().toList();
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + file + ")";
    }
  }
}
