package io.iotpipe.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Versioned, idempotent CQL migrations of the serving schema. Each migration is a resource
 * {@code V<n>__<name>.cql} next to this class; applied versions are recorded with a checksum in
 * {@code <keyspace>.schema_migrations}, and a migration whose text changed after it was applied
 * is an error (add a new version instead). Statements use IF NOT EXISTS, so two jobs migrating at
 * the same time do no harm.
 */
public final class CassandraSchema {
  /** The migrations in order; append, never edit. */
  static final List<String> MIGRATIONS =
      List.of("V1__window_tables.cql", "V2__features_and_alerts.cql", "V3__device_health.cql",
      "V4__frozen_feature_vector.cql", "V5__wide_window_rows.cql");

  private CassandraSchema() {}

  /** Creates the keyspace if missing and applies the migrations not applied yet; returns those applied now. */
  public static List<String> migrate(CqlSession session, CassandraOptions o) {
    String ks = o.keyspace();
    session.execute("CREATE KEYSPACE IF NOT EXISTS " + ks + " WITH replication = " + o.replicationCql());
    session.execute("CREATE TABLE IF NOT EXISTS " + ks + ".schema_migrations "
        + "(version int PRIMARY KEY, name text, checksum text, applied_at timestamp)");
    Map<Integer, String> applied = new TreeMap<>();
    for (Row r : session.execute("SELECT version, checksum FROM " + ks + ".schema_migrations")) {
      applied.put(r.getInt("version"), r.getString("checksum"));
    }
    List<String> now = new ArrayList<>();
    for (String name : MIGRATIONS) {
      int version = Integer.parseInt(name.substring(1, name.indexOf("__")));
      String text = resource(name);
      String checksum = sha256(text);
      String recorded = applied.get(version);
      if (recorded != null) {
        if (!recorded.equals(checksum)) {
          throw new IllegalStateException("Cassandra migration " + name + " was changed after it was applied to "
              + ks + "; add a new migration instead");
        }
        continue;
      }
      for (String statement : statements(text.replace("${keyspace}", ks))) {
        session.execute(statement);
      }
      session.execute(session.prepare("INSERT INTO " + ks + ".schema_migrations (version, name, checksum, applied_at) "
          + "VALUES (?, ?, ?, ?)").bind(version, name, checksum, Instant.now()));
      now.add(name);
    }
    return now;
  }

  static List<String> statements(String cql) {
    StringBuilder code = new StringBuilder();
    for (String line : cql.split("\n")) {
      if (!line.trim().startsWith("--")) {
        code.append(line).append('\n');
      }
    }
    List<String> out = new ArrayList<>();
    for (String s : code.toString().split(";")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }

  private static String resource(String name) {
    try (InputStream in = CassandraSchema.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing migration resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
