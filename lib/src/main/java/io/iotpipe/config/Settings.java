package io.iotpipe.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The configuration of one run: a profile file from {@code conf/} overlaid by command-line
 * options, each value remembering where it came from so that an error can point at it.
 *
 * <p>Values are read through {@link OptionKey}s, which give them a type, a check and a default.
 * Secrets are not values here: see {@link #secret}.
 */
public final class Settings {
  /** Environment variables that may carry credentials: IOTPIPE_ + the key in upper case. */
  public static final String ENV_PREFIX = "IOTPIPE_";

  private record Entry(String value, String origin) {}

  private final Map<String, Entry> entries;
  private final Map<String, String> env;

  private Settings(Map<String, Entry> entries, Map<String, String> env) {
    this.entries = entries;
    this.env = env;
  }

  /** Settings from plain values (tests, programmatic use). */
  public static Settings of(Map<String, String> values) {
    return new Settings(new LinkedHashMap<>(), System.getenv()).overlay(values, "given values");
  }

  /**
   * Loads {@code <confDir>/<profile>.properties} (when profile is not null), then applies
   * {@code overrides} (the command line).
   */
  public static Settings load(Path confDir, String profile, Map<String, String> overrides) {
    Settings s = new Settings(new LinkedHashMap<>(), System.getenv());
    if (profile != null) {
      Path file = confDir.resolve(profile + ".properties");
      if (!Files.isRegularFile(file)) {
        throw new InvalidOptionException("profile",
            "no profile '" + profile + "': " + file + " does not exist");
      }
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(r);
      } catch (IOException e) {
        throw new InvalidOptionException("profile", "cannot read " + file + ": " + e.getMessage());
      }
      Map<String, String> values = new TreeMap<>();
      p.stringPropertyNames().forEach(k -> values.put(k, p.getProperty(k)));
      s = s.overlay(values, file.toString());
    }
    return s.overlay(overrides, "the command line");
  }

  /** A copy with {@code values} set on top, attributed to {@code origin}. */
  public Settings overlay(Map<String, String> values, String origin) {
    Map<String, Entry> copy = new LinkedHashMap<>(entries);
    values.forEach((k, v) -> {
      if (isSecretKey(k)) {
        // Credentials in a profile or on a command line end up in shells' history, process
        // lists and version control. Refuse them and say where to put them instead.
        throw new InvalidOptionException(k, "credentials are not accepted in " + origin
            + ": set the environment variable " + envName(k) + " or the option " + k + "-file");
      }
      copy.put(k, new Entry(v, origin));
    });
    return new Settings(copy, env);
  }

  /** A copy in which {@code defaults} fill in keys that are not set yet (a job's own defaults). */
  public Settings withDefaults(Map<String, String> defaults, String origin) {
    Map<String, String> missing = new LinkedHashMap<>();
    defaults.forEach((k, v) -> {
      if (!entries.containsKey(k)) {
        missing.put(k, v);
      }
    });
    return overlay(missing, origin);
  }

  /** A copy that reads credentials from {@code env} instead of the process environment (tests). */
  public Settings withEnvironment(Map<String, String> env) {
    return new Settings(entries, Map.copyOf(env));
  }

  public boolean has(String key) {
    return entries.containsKey(key);
  }

  /** The value of {@code key}, or its default; fails naming the option if it is missing or bad. */
  public <T> T get(OptionKey<T> key) {
    return find(key).orElseThrow(() ->
        new InvalidOptionException(key.name(), "is required (" + key.description() + ")"));
  }

  /** The value of {@code key} or its default, empty when neither is set. */
  public <T> Optional<T> find(OptionKey<T> key) {
    Entry e = entries.get(key.name());
    if (e == null) {
      return Optional.ofNullable(key.defaultValue());
    }
    try {
      return Optional.of(key.parse(e.value()));
    } catch (IllegalArgumentException ex) {
      throw new InvalidOptionException(key.name(), ex.getMessage() + " (set in " + e.origin() + ")");
    }
  }

  /**
   * A credential for {@code key} (for example {@code kafka.password}): from the environment
   * variable {@code IOTPIPE_KAFKA_PASSWORD}, else from the file named by option
   * {@code kafka.password-file}, else empty.
   */
  public Optional<Secret> secret(String key) {
    String fromEnv = env.get(envName(key));
    if (fromEnv != null && !fromEnv.isEmpty()) {
      return Optional.of(new Secret(fromEnv));
    }
    Entry file = entries.get(key + "-file");
    if (file == null) {
      return Optional.empty();
    }
    Path path = Path.of(file.value().trim());
    try {
      String text = Files.readString(path, StandardCharsets.UTF_8).strip();
      if (text.isEmpty()) {
        throw new InvalidOptionException(key + "-file", "the file " + path + " is empty");
      }
      return Optional.of(new Secret(text));
    } catch (IOException e) {
      throw new InvalidOptionException(key + "-file",
          "cannot read the credential file " + path + " (set in " + file.origin() + ")");
    }
  }

  /** All values whose key starts with {@code prefix}, prefix kept (e.g. every spark.* setting). */
  public Map<String, String> withPrefix(String prefix) {
    Map<String, String> out = new TreeMap<>();
    entries.forEach((k, e) -> {
      if (k.startsWith(prefix)) {
        out.put(k, e.value());
      }
    });
    return out;
  }

  /**
   * Fails on any key in one of {@code namespaces} (e.g. "ingest.", "kafka.") that is not one of
   * {@code known}: a misspelt option must not be silently ignored.
   */
  public void rejectUnknown(Collection<String> namespaces, Collection<OptionKey<?>> known) {
    Set<String> names = new TreeSet<>();
    known.forEach(k -> {
      names.add(k.name());
      names.add(k.name() + "-file");
    });
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      String k = e.getKey();
      boolean inScope = namespaces.stream().anyMatch(k::startsWith);
      if (inScope && !names.contains(k) && !k.endsWith(".password-file")) {
        String hint = names.stream().filter(n -> similar(n, k)).findFirst()
            .map(n -> "; did you mean --" + n + "?").orElse("");
        throw new InvalidOptionException(k, "unknown option (set in " + e.getValue().origin() + ")" + hint);
      }
    }
  }

  public static boolean isSecretKey(String key) {
    return key.endsWith(".password") || key.endsWith(".secret") || key.endsWith(".token");
  }

  public static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
  }

  private static boolean similar(String a, String b) {
    return a.contains(b) || b.contains(a) || levenshtein(a, b) <= 3;
  }

  private static int levenshtein(String a, String b) {
    int[] prev = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      int[] cur = new int[b.length() + 1];
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      prev = cur;
    }
    return prev[b.length()];
  }
}
