package io.iotpipe.cassandra;

import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Secret;
import io.iotpipe.config.Settings;
import java.util.List;
import java.util.Optional;

/**
 * How to reach Cassandra. The password comes from {@code IOTPIPE_CASSANDRA_PASSWORD} or the file
 * named by {@code cassandra.password-file}, never from a profile or the command line.
 */
public record CassandraOptions(
    String contactPoints, int port, String localDc, Optional<String> username, Optional<Secret> password) {

  public static final OptionKey<String> CONTACT_POINTS = OptionKey.string("cassandra.contact-points", null,
      "Cassandra hosts, comma separated");
  public static final OptionKey<Integer> PORT = OptionKey.integer("cassandra.port", 9042, 1, 65535,
      "CQL native transport port");
  public static final OptionKey<String> LOCAL_DC = OptionKey.string("cassandra.local-dc", "datacenter1",
      "data centre the driver treats as local");
  public static final OptionKey<String> USERNAME = OptionKey.string("cassandra.username", null,
      "user for PasswordAuthenticator (password: IOTPIPE_CASSANDRA_PASSWORD or --cassandra.password-file)");

  public static final List<OptionKey<?>> KEYS = List.of(CONTACT_POINTS, PORT, LOCAL_DC, USERNAME);

  public static CassandraOptions from(Settings s) {
    return new CassandraOptions(s.get(CONTACT_POINTS), s.get(PORT), s.get(LOCAL_DC), s.find(USERNAME),
        s.secret("cassandra.password"));
  }
}
