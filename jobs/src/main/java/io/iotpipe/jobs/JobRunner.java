package io.iotpipe.jobs;

import io.iotpipe.config.InvalidOptionException;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.jobs.aggregates.AggregatesJob;
import io.iotpipe.jobs.backfill.BackfillJob;
import io.iotpipe.jobs.bench.BenchJob;
import io.iotpipe.jobs.demo.DemoJob;
import io.iotpipe.jobs.features.FeaturesJob;
import io.iotpipe.jobs.health.DeviceHealthJob;
import io.iotpipe.jobs.score.ScoreJob;
import io.iotpipe.jobs.train.TrainJob;
import io.iotpipe.jobs.ingest.IngestJob;
import io.iotpipe.jobs.maintain.MaintainJob;
import io.iotpipe.jobs.simulate.SimulateJob;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The entry point of every job: {@code JobRunner <job> [--profile NAME] [--option value]...}.
 *
 * <p>Options come from {@code conf/<profile>.properties} (default profile {@code local}, or
 * {@code $IOTPIPE_PROFILE}; {@code --profile none} reads no file) and then from the command
 * line. A job's own options may be given without the job's prefix ({@code ingest --trigger 5s}
 * is {@code --ingest.trigger 5s}). Unknown options, bad values and credentials on the command
 * line are refused before the job starts, with a message naming the option.
 */
public final class JobRunner {
  public static final List<Job> JOBS =
      List.of(new SimulateJob(), new IngestJob(), new AggregatesJob(), new FeaturesJob(), new TrainJob(),
          new ScoreJob(), new DeviceHealthJob(), new BackfillJob(), new MaintainJob(), new DemoJob(), new BenchJob());

  private JobRunner() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a job from command-line words and returns the exit code (0 ok, 2 bad usage or options). */
  public static int run(String... args) {
    if (args.length == 1 && args[0].equals("--jobs")) {
      // For scripts/dev/update-job-readmes: each job and the folder of its README.
      JOBS.forEach(j -> System.out.println(j.name() + "\t" + readmeFolder(j)));
      return 0;
    }
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      System.out.println(usage());
      return args.length == 0 ? 2 : 0;
    }
    Job job = JOBS.stream().filter(j -> j.name().equals(args[0])).findFirst().orElse(null);
    if (job == null) {
      System.err.println("error: unknown job '" + args[0] + "'\n\n" + usage());
      return 2;
    }
    try {
      Map<String, String> cli = parseArgs(job, args);
      if (cli.containsKey("help")) {
        System.out.println("markdown".equals(cli.get("help")) ? markdown(job) : help(job));
        return 0;
      }
      String profile = cli.remove("profile");
      if (profile == null) {
        profile = System.getenv().getOrDefault("IOTPIPE_PROFILE", "local");
      }
      String confDir = cli.remove("conf-dir");
      if (confDir == null) {
        confDir = System.getenv().getOrDefault("IOTPIPE_CONF_DIR", "conf");
      }
      // Options a launcher passed as Spark configuration, spark.iotpipe.<option> (scripts/submit
      // ships a profile this way, so that a driver in cluster mode needs no file from the
      // submitting machine); the command line wins.
      Map<String, String> options = new LinkedHashMap<>(fromSparkConf(System.getProperties()));
      options.putAll(cli);
      Settings settings = Settings.load(Path.of(confDir), "none".equals(profile) ? null : profile, options);
      settings.rejectUnknown(namespaces(), allOptions());
      return job.run(settings);
    } catch (InvalidOptionException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println("(see: JobRunner " + job.name() + " --help)");
      return 2;
    } catch (Exception e) {
      System.err.println("error: job " + job.name() + " failed: " + e);
      e.printStackTrace(System.err);
      return 1;
    }
  }

  static final String SPARK_CONF_PREFIX = "spark.iotpipe.";

  /** The options set as {@code spark.iotpipe.<option>} Spark properties, without that prefix. */
  static Map<String, String> fromSparkConf(java.util.Properties properties) {
    Map<String, String> out = new java.util.TreeMap<>();
    for (String name : properties.stringPropertyNames()) {
      if (name.startsWith(SPARK_CONF_PREFIX)) {
        out.put(name.substring(SPARK_CONF_PREFIX.length()), properties.getProperty(name));
      }
    }
    return out;
  }

  /**
   * {@code --key value} and {@code --key=value} pairs; a job's own keys may omit its prefix.
   * Every key must be an option of this job or a Spark setting.
   */
  static Map<String, String> parseArgs(Job job, String[] args) {
    Set<String> own = job.options().stream().map(OptionKey::name).collect(Collectors.toSet());
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new InvalidOptionException(a, "expected --option value, found '" + a + "'");
      }
      String key = a.substring(2);
      String value;
      int eq = key.indexOf('=');
      if (eq >= 0) {
        value = key.substring(eq + 1);
        key = key.substring(0, eq);
      } else if (key.equals("help")) {
        value = "true";
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new InvalidOptionException(key, "needs a value");
      }
      if (!own.contains(key) && own.contains(job.name() + "." + key)) {
        key = job.name() + "." + key;
      }
      String namespace = key.substring(0, key.indexOf('.') + 1);
      boolean credential = (Settings.isSecretKey(key) || key.endsWith(".password-file"))
          && !namespace.isEmpty() && own.stream().anyMatch(k -> k.startsWith(namespace));
      boolean known = own.contains(key) || key.startsWith("spark.") || credential
          || key.equals("help") || key.equals("profile") || key.equals("conf-dir");
      if (!known) {
        String hint = own.stream().filter(k -> k.endsWith("." + a.substring(2)) || k.contains(a.substring(2)))
            .findFirst().map(k -> "; did you mean --" + k + "?").orElse("");
        throw new InvalidOptionException(key, "not an option of job " + job.name() + hint);
      }
      out.put(key, value);
    }
    return out;
  }

  /** Namespaces whose keys must all be known, in profiles as on the command line. */
  static List<String> namespaces() {
    Set<String> ns = new TreeSet<>();
    allOptions().forEach(k -> ns.add(k.name().substring(0, k.name().indexOf('.') + 1)));
    return List.copyOf(ns);
  }

  /** The options of every job, plus the keys the local services launcher reads from profiles. */
  static List<OptionKey<?>> allOptions() {
    return Stream.concat(JOBS.stream().flatMap(j -> j.options().stream()),
        io.iotpipe.local.LocalServices.PROFILE_KEYS.stream()).toList();
  }

  static String usage() {
    StringBuilder sb = new StringBuilder("usage: JobRunner <job> [--profile NAME] [--option value]...\n\njobs:\n");
    JOBS.forEach(j -> sb.append(String.format("  %-14s %s%n", j.name(), j.description())));
    sb.append("\nJobRunner <job> --help lists a job's options.");
    return sb.toString();
  }

  /** Where a job's README lives: next to its class. */
  static String readmeFolder(Job job) {
    return "jobs/src/main/java/" + job.getClass().getPackageName().replace('.', '/');
  }

  /** The options of a job as a Markdown table, for its README. */
  static String markdown(Job job) {
    StringBuilder sb = new StringBuilder("| option | type | default | meaning |\n|---|---|---|---|\n");
    for (OptionKey<?> k : job.options()) {
      sb.append(String.format("| `--%s` | %s | %s | %s |%n", k.name(), k.type().replace("|", "\\|"),
          k.defaultText(), k.description()));
    }
    return sb.toString();
  }

  static String help(Job job) {
    StringBuilder sb = new StringBuilder("JobRunner " + job.name() + ": " + job.description() + "\n\noptions:\n");
    for (OptionKey<?> k : job.options()) {
      sb.append(String.format("  --%-36s %s%n  %-38s (%s; default %s)%n", k.name(), k.description(), "",
          k.type(), k.defaultText()));
    }
    sb.append("\nAlso: --profile NAME (conf/NAME.properties; default local), --spark.* settings.\n");
    return sb.toString();
  }
}
