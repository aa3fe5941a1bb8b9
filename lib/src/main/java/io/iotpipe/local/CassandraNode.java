package io.iotpipe.local;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A single-node Cassandra. */
final class CassandraNode extends JvmService {
  /** The data centre name a single node with SimpleSnitch reports. */
  static final String LOCAL_DC = "datacenter1";

  /** The exports and opens of Cassandra's own conf/jvm17-server.options. */
  private static final List<String> JAVA17_OPTIONS = List.of(
      "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-exports", "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
      "--add-exports", "java.rmi/sun.rmi.registry=ALL-UNNAMED",
      "--add-exports", "java.rmi/sun.rmi.server=ALL-UNNAMED",
      "--add-exports", "java.sql/java.sql=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang.module=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.loader=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.reflect=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.math=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.module=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.util.jar=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
      "--add-opens", "java.base/java.io=ALL-UNNAMED",
      "--add-opens", "java.base/java.nio=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/java.util=ALL-UNNAMED",
      "--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens", "java.base/java.util.concurrent.atomic=ALL-UNNAMED");

  private final int port;
  private final int storagePort;
  private final int jmxPort;

  CassandraNode(Path dir, int port, int storagePort, int jmxPort) {
    super("cassandra", dir);
    this.port = port;
    this.storagePort = storagePort;
    this.jmxPort = jmxPort;
  }

  @Override
  List<Integer> ports() {
    return List.of(port, storagePort, jmxPort);
  }

  @Override
  String pomResource() {
    return "cassandra-server.pom.xml";
  }

  @Override
  String endpoint() {
    return "127.0.0.1:" + port;
  }

  @Override
  void configure(String classpath) throws IOException {
    Path data = dataDir();
    Files.writeString(dir.resolve("cassandra.yaml"), String.join("\n",
        "cluster_name: iotpipe-local",
        "num_tokens: 16",
        "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
        "data_file_directories:",
        "  - " + data.resolve("data"),
        "commitlog_directory: " + data.resolve("commitlog"),
        "saved_caches_directory: " + data.resolve("saved_caches"),
        "hints_directory: " + data.resolve("hints"),
        "cdc_raw_directory: " + data.resolve("cdc_raw"),
        "commitlog_sync: periodic",
        "commitlog_sync_period: 10000ms",
        "seed_provider:",
        "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
        "    parameters:",
        "      - seeds: \"127.0.0.1:" + storagePort + "\"",
        "listen_address: 127.0.0.1",
        "rpc_address: 127.0.0.1",
        "storage_port: " + storagePort,
        "native_transport_port: " + port,
        "start_native_transport: true",
        "endpoint_snitch: SimpleSnitch",
        // Tests drop and truncate tables often; snapshots of them would only fill the disk.
        "auto_snapshot: false",
        "concurrent_compactors: 1",
        ""), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("logback.xml"), String.join("\n",
        "<configuration>",
        "  <appender name=\"FILE\" class=\"ch.qos.logback.core.FileAppender\">",
        "    <file>" + logDir().resolve("system.log") + "</file>",
        "    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>",
        "  </appender>",
        "  <root level=\"INFO\"><appender-ref ref=\"FILE\"/></root>",
        "</configuration>",
        ""), StandardCharsets.UTF_8);
  }

  @Override
  List<String> command() {
    List<String> cmd = new ArrayList<>(List.of("-Xms1g", "-Xmx1g", "-XX:+UseG1GC",
        "-Diotpipe.service=cassandra",
        "-Dcassandra.config=" + dir.resolve("cassandra.yaml").toUri(),
        "-Dcassandra-foreground=yes",
        "-Dcassandra.jmx.local.port=" + jmxPort,
        "-Dcassandra.logdir=" + logDir(),
        "-Dcassandra.storagedir=" + dataDir(),
        "-Dlogback.configurationFile=" + dir.resolve("logback.xml"),
        // One node: there is no gossip to wait for.
        "-Dcassandra.skip_wait_for_gossip_to_settle=0",
        "-Dcassandra.ring_delay_ms=0"));
    cmd.addAll(JAVA17_OPTIONS);
    cmd.add("org.apache.cassandra.service.CassandraDaemon");
    return cmd;
  }

  /** A CQL session connects and answers a query (an open port alone is not ready). */
  @Override
  void probe() {
    DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
        .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(5))
        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(5))
        .build();
    try (CqlSession session = CqlSession.builder()
        .addContactPoint(new InetSocketAddress("127.0.0.1", port))
        .withLocalDatacenter(LOCAL_DC)
        .withConfigLoader(config)
        .build()) {
      session.execute("SELECT release_version FROM system.local").one();
    }
  }
}
