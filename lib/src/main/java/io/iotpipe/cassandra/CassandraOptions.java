package io.iotpipe.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.spark.connector.cql.CassandraConnector;
import io.iotpipe.config.InvalidOptionException;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Secret;
import io.iotpipe.config.Settings;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.SparkConf;
import scala.collection.JavaConverters;

/**
 * How to reach Cassandra and where the suite's tables live. The password comes from
 * {@code IOTPIPE_CASSANDRA_PASSWORD} or the file named by {@code cassandra.password-file}, never
 * from a profile or the command line.
 */
public record CassandraOptions(
    List<String> contactPoints,
    int port,
    String localDc,
    String keyspace,
    String replication,
    Optional<String> username,
    Optional<Secret> password) {

  public static final OptionKey<String> CONTACT_POINTS = OptionKey.string("cassandra.contact-points", null,
      "Cassandra hosts, comma separated");
  public static final OptionKey<Integer> PORT = OptionKey.integer("cassandra.port", 9042, 1, 65535,
      "CQL native transport port");
  public static final OptionKey<String> LOCAL_DC = OptionKey.string("cassandra.local-dc", "datacenter1",
      "data centre the driver treats as local");
  public static final OptionKey<String> KEYSPACE = new OptionKey<>("cassandra.keyspace", "identifier", "iotpipe",
      "keyspace of the serving tables (created by the schema migration if missing)", s -> {
        if (!s.trim().matches("[a-zA-Z][a-zA-Z0-9_]{0,47}")) {
          throw new IllegalArgumentException("'" + s + "' is not a Cassandra keyspace name");
        }
        return s.trim();
      });
  public static final OptionKey<String> REPLICATION = new OptionKey<>("cassandra.replication",
      "SimpleStrategy:N | NetworkTopologyStrategy:dc=N[,dc=N]", "SimpleStrategy:1",
      "replication of the keyspace when the migration creates it", s -> {
        replicationCql(s); // checks it
        return s.trim();
      });
  public static final OptionKey<String> USERNAME = OptionKey.string("cassandra.username", null,
      "user for PasswordAuthenticator (password: IOTPIPE_CASSANDRA_PASSWORD or --cassandra.password-file)");

  public static final List<OptionKey<?>> KEYS = List.of(CONTACT_POINTS, PORT, LOCAL_DC, KEYSPACE, REPLICATION, USERNAME);

  public static CassandraOptions from(Settings s) {
    List<String> hosts = List.of(s.get(CONTACT_POINTS).split("\\s*,\\s*"));
    CassandraOptions o = new CassandraOptions(hosts, s.get(PORT), s.get(LOCAL_DC), s.get(KEYSPACE),
        s.get(REPLICATION), s.find(USERNAME), s.secret("cassandra.password"));
    if (o.username.isPresent() != o.password.isPresent()) {
      throw new InvalidOptionException(USERNAME.name(), "a user name needs a password in "
          + Settings.envName("cassandra.password") + " or --cassandra.password-file, and a password a user name");
    }
    return o;
  }

  /** The keyspace replication as a CQL map. */
  public String replicationCql() {
    return replicationCql(replication);
  }

  /** "SimpleStrategy:3" or "NetworkTopologyStrategy:dc1=3,dc2=2" as the CQL replication map. */
  static String replicationCql(String text) {
    String t = text.trim();
    String[] parts = t.split(":", 2);
    if (parts.length == 2 && parts[0].equals("SimpleStrategy") && parts[1].matches("[1-9][0-9]?")) {
      return "{'class': 'SimpleStrategy', 'replication_factor': " + parts[1] + "}";
    }
    if (parts.length == 2 && parts[0].equals("NetworkTopologyStrategy")
        && parts[1].matches("[A-Za-z0-9_.-]+=[1-9][0-9]?(,[A-Za-z0-9_.-]+=[1-9][0-9]?)*")) {
      StringBuilder sb = new StringBuilder("{'class': 'NetworkTopologyStrategy'");
      for (String dc : parts[1].split(",")) {
        String[] kv = dc.split("=");
        sb.append(", '").append(kv[0]).append("': ").append(kv[1]);
      }
      return sb.append('}').toString();
    }
    throw new IllegalArgumentException("'" + text + "' is not SimpleStrategy:N or NetworkTopologyStrategy:dc=N[,dc=N]");
  }

  /** Settings of the Spark Cassandra connector (Spark redacts the password in its UI and logs). */
  public Map<String, String> sparkConf() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("spark.cassandra.connection.host", String.join(",", contactPoints));
    m.put("spark.cassandra.connection.port", String.valueOf(port));
    m.put("spark.cassandra.connection.localDC", localDc);
    username.ifPresent(u -> m.put("spark.cassandra.auth.username", u));
    password.ifPresent(p -> m.put("spark.cassandra.auth.password", p.reveal()));
    return m;
  }

  /**
   * The connector's session factory for code running on executors (serializable; sessions are
   * pooled per executor), independent of the SparkSession's own settings.
   */
  public CassandraConnector connector() {
    return CassandraConnector.apply(new SparkConf(false).setAll(JavaConverters.mapAsScalaMap(sparkConf())));
  }

  /**
   * A CQL session outside Spark (schema migrations, readers, tests). Requests may take up to 30 s:
   * schema changes wait for the cluster to agree, which takes longer than the driver's 2 s default
   * on a busy node.
   */
  public CqlSession openSession() {
    CqlSessionBuilder b = CqlSession.builder().withLocalDatacenter(localDc)
        .withConfigLoader(DriverConfigLoader.programmaticBuilder()
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(30))
            .build());
    contactPoints.forEach(h -> b.addContactPoint(new InetSocketAddress(h, port)));
    if (username.isPresent()) {
      b.withAuthCredentials(username.get(), password.orElseThrow().reveal());
    }
    return b.build();
  }

  @Override
  public String toString() {
    return "CassandraOptions[" + contactPoints + ":" + port + ", dc " + localDc + ", keyspace " + keyspace
        + username.map(u -> ", user " + u).orElse("") + "]";
  }
}
