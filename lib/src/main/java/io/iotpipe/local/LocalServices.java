package io.iotpipe.local;

import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.config.OptionKey;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.config.Settings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The local Kafka broker and Cassandra node that the demo and the integration tests run against:
 * real servers, each in its own JVM from Maven Central jars, bound to 127.0.0.1 on the ports of
 * the {@code local} profile, with data and logs under one work folder.
 *
 * <p>{@code scripts/services start|stop|status} calls {@link #main}; the tests' JUnit extension
 * calls {@link #start()} and reuses services that already run.
 */
public final class LocalServices {
  static final OptionKey<String> WORK_DIR = OptionKey.string("local.work-dir", "work/services",
      "folder for the local services' data and logs, relative to the repository root");
  static final OptionKey<Integer> KAFKA_CONTROLLER_PORT =
      OptionKey.integer("local.kafka.controller-port", 19093, 1024, 65535, "KRaft controller port");
  static final OptionKey<Integer> CASSANDRA_STORAGE_PORT =
      OptionKey.integer("local.cassandra.storage-port", 17000, 1024, 65535, "Cassandra storage port");
  static final OptionKey<Integer> CASSANDRA_JMX_PORT =
      OptionKey.integer("local.cassandra.jmx-port", 17199, 1024, 65535, "Cassandra JMX port");

  /** Keys the launcher reads from profiles, besides those of the jobs. */
  public static final List<OptionKey<?>> PROFILE_KEYS = java.util.stream.Stream.concat(
      java.util.stream.Stream.of(WORK_DIR, KAFKA_CONTROLLER_PORT, CASSANDRA_STORAGE_PORT, CASSANDRA_JMX_PORT),
      CassandraOptions.KEYS.stream()).toList();

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);

  private final KafkaNode kafka;
  private final CassandraNode cassandra;

  private LocalServices(KafkaNode kafka, CassandraNode cassandra) {
    this.kafka = kafka;
    this.cassandra = cassandra;
  }

  /** The services as the {@code local} profile of the repository at {@code home} describes them. */
  public static LocalServices fromProfile(Path home) {
    Settings s = Settings.load(home.resolve("conf"), "local", Map.of());
    Path work = home.resolve(s.get(WORK_DIR));
    String bootstrap = s.get(KafkaOptions.BOOTSTRAP_SERVERS);
    int kafkaPort = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
    return new LocalServices(
        new KafkaNode(work.resolve("kafka"), kafkaPort, s.get(KAFKA_CONTROLLER_PORT)),
        new CassandraNode(work.resolve("cassandra"), s.get(CassandraOptions.PORT),
            s.get(CASSANDRA_STORAGE_PORT), s.get(CASSANDRA_JMX_PORT)));
  }

  public String kafkaBootstrapServers() {
    return kafka.bootstrapServers();
  }

  public String cassandraHost() {
    return "127.0.0.1";
  }

  public int cassandraPort() {
    return Integer.parseInt(cassandra.endpoint().substring(cassandra.endpoint().lastIndexOf(':') + 1));
  }

  public String cassandraLocalDc() {
    return CassandraNode.LOCAL_DC;
  }

  private List<JvmService> all() {
    return List.of(kafka, cassandra);
  }

  /** True when both run (started by this launcher) and serve clients. */
  public boolean ready() {
    for (JvmService s : all()) {
      if (!s.running()) {
        return false;
      }
      try {
        s.probe();
      } catch (Exception e) {
        return false;
      }
    }
    return true;
  }

  /**
   * Starts whichever service does not run yet, both at once, and returns when both serve
   * clients. Returns the services it started (empty when both were already up).
   */
  public List<String> start() {
    List<JvmService> toStart = all().stream().filter(s -> !s.running()).toList();
    List<CompletableFuture<Void>> starting = toStart.stream()
        .map(s -> CompletableFuture.runAsync(() -> {
          try {
            s.launch();
            s.awaitReady(READY_TIMEOUT);
          } catch (IOException e) {
            throw new CompletionException(e);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
          }
        }))
        .toList();
    try {
      CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new)).join();
    } catch (CompletionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    }
    // Those that already ran must still answer.
    for (JvmService s : all()) {
      if (!toStart.contains(s)) {
        try {
          s.awaitReady(Duration.ofSeconds(60));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
    }
    return toStart.stream().map(s -> s.name).toList();
  }

  /** Stops the named services (all when none are named), only if this launcher started them. */
  public void stop(List<String> names) {
    for (JvmService s : all()) {
      if (names.isEmpty() || names.contains(s.name)) {
        try {
          boolean stopped = s.stop(Duration.ofSeconds(45));
          System.out.println(s.name + (stopped ? ": stopped" : ": was not running"));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
    }
  }

  public String status() {
    StringBuilder sb = new StringBuilder();
    all().forEach(s -> sb.append(s.describe()).append('\n'));
    return sb.toString();
  }

  public static void main(String[] args) {
    String command = args.length == 0 ? "status" : args[0];
    LocalServices services = fromProfile(ProjectHome.find());
    switch (command) {
      case "start" -> {
        long t0 = System.nanoTime();
        List<String> started = services.start();
        System.out.printf("%s in %.0f s%n", started.isEmpty() ? "already running"
            : "started " + String.join(" and ", started), (System.nanoTime() - t0) / 1e9);
        System.out.print(services.status());
      }
      case "stop" -> services.stop(List.of());
      case "status" -> {
        System.out.print(services.status());
        System.exit(services.ready() ? 0 : 3);
      }
      default -> {
        System.err.println("usage: services start|stop|status");
        System.exit(2);
      }
    }
  }
}
