package io.iotpipe.aggregate;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.min_by;
import static org.apache.spark.sql.functions.stddev_pop;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.udaf;
import static org.apache.spark.sql.functions.udf;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.Aggregator;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;
import scala.Tuple3;

/**
 * The statistics of one metric's values in one window: the one definition of their columns, of
 * how they are computed from events (Spark's built-in aggregates, plus the percentile sketch), and
 * of how windows merge into a longer window. The stream, the backfill and the tables all use it.
 *
 * <p>Columns: count, sum, min, max, mean, stddev (population), first_time/first_value and
 * last_time/last_value, p50/p95/p99, and {@code sketch}, the mergeable percentile sketch
 * ({@link QuantileSketch}) from which longer windows get their percentiles.
 *
 * <p>Ties: the first and last values are those of the earliest and latest event time; among
 * events of the same time, of the smallest and largest (Kafka partition, offset). A window merged
 * from shorter windows takes the first of the earliest and the last of the latest of them (they
 * do not overlap, so they never tie).
 */
public final class WindowStats {
  private WindowStats() {}

  public static final String COUNT = "count";
  public static final String SUM = "sum";
  public static final String MIN = "min";
  public static final String MAX = "max";
  public static final String MEAN = "mean";
  public static final String STDDEV = "stddev";
  public static final String FIRST_TIME = "first_time";
  public static final String FIRST_VALUE = "first_value";
  public static final String LAST_TIME = "last_time";
  public static final String LAST_VALUE = "last_value";
  public static final String P50 = "p50";
  public static final String P95 = "p95";
  public static final String P99 = "p99";
  public static final String SKETCH = "sketch";

  /** The statistics columns, in table order. */
  public static final StructType SCHEMA = new StructType()
      .add(COUNT, DataTypes.LongType)
      .add(SUM, DataTypes.DoubleType)
      .add(MIN, DataTypes.DoubleType)
      .add(MAX, DataTypes.DoubleType)
      .add(MEAN, DataTypes.DoubleType)
      .add(STDDEV, DataTypes.DoubleType)
      .add(FIRST_TIME, DataTypes.TimestampType)
      .add(FIRST_VALUE, DataTypes.DoubleType)
      .add(LAST_TIME, DataTypes.TimestampType)
      .add(LAST_VALUE, DataTypes.DoubleType)
      .add(P50, DataTypes.DoubleType)
      .add(P95, DataTypes.DoubleType)
      .add(P99, DataTypes.DoubleType)
      .add(SKETCH, DataTypes.BinaryType);

  private static final String FIRST = "_first";
  private static final String LAST = "_last";
  private static final String MOMENTS = "_moments";

  private static final UserDefinedFunction SKETCH_OF_VALUES = udaf(new SketchOfValues(), Encoders.DOUBLE());
  private static final UserDefinedFunction SKETCH_OF_SKETCHES = udaf(new SketchOfSketches(), Encoders.BINARY());
  private static final UserDefinedFunction MERGED_MOMENTS = udaf(new MergedMoments(),
      Encoders.tuple(Encoders.LONG(), Encoders.DOUBLE(), Encoders.DOUBLE()));
  private static final UserDefinedFunction PERCENTILES = udf((UDF1<byte[], double[]>) WindowStats::percentiles,
      DataTypes.createArrayType(DataTypes.DoubleType, false));

  /**
   * Aggregates over event rows, one value each: built-in functions for everything but the
   * percentile sketch. Follow the aggregation with {@link #finish}.
   */
  public static Column[] ofValues(Column value, Column eventTime, Column kafkaPartition, Column kafkaOffset) {
    Column tieOrder = struct(eventTime, kafkaPartition, kafkaOffset);
    return new Column[] {
        count(value).as(COUNT), sum(value).as(SUM), min(value).as(MIN), max(value).as(MAX),
        struct(avg(value).as("_1"), stddev_pop(value).as("_2")).as(MOMENTS),
        min_by(struct(eventTime.as("t"), value.as("v")), tieOrder).as(FIRST),
        max_by(struct(eventTime.as("t"), value.as("v")), tieOrder).as(LAST),
        SKETCH_OF_VALUES.apply(value).as(SKETCH)};
  }

  /**
   * Aggregates over rows with the statistics columns (windows of one metric that do not overlap)
   * into the statistics of their union: sums, extremes, the moments merged pairwise (Chan et
   * al., numerically stable), first and last, and the merged sketch. Follow with {@link #finish}.
   */
  public static Column[] ofWindows() {
    return new Column[] {
        sum(col(COUNT)).as(COUNT), sum(col(SUM)).as(SUM), min(col(MIN)).as(MIN), max(col(MAX)).as(MAX),
        MERGED_MOMENTS.apply(col(COUNT), col(MEAN), col(STDDEV)).as(MOMENTS),
        min_by(struct(col(FIRST_TIME).as("t"), col(FIRST_VALUE).as("v")), col(FIRST_TIME)).as(FIRST),
        max_by(struct(col(LAST_TIME).as("t"), col(LAST_VALUE).as("v")), col(LAST_TIME)).as(LAST),
        SKETCH_OF_SKETCHES.apply(col(SKETCH)).as(SKETCH)};
  }

  /** The statistics columns of an aggregation by {@link #ofValues} or {@link #ofWindows}. */
  public static Column[] finish() {
    Column p = PERCENTILES.apply(col(SKETCH));
    List<Column> out = new ArrayList<>(List.of(col(COUNT), col(SUM), col(MIN), col(MAX),
        col(MOMENTS).getField("_1").as(MEAN), col(MOMENTS).getField("_2").as(STDDEV),
        col(FIRST).getField("t").as(FIRST_TIME), col(FIRST).getField("v").as(FIRST_VALUE),
        col(LAST).getField("t").as(LAST_TIME), col(LAST).getField("v").as(LAST_VALUE)));
    // A sketch's estimate can lie a hair outside the values: keep percentiles within [min, max].
    String[] names = {P50, P95, P99};
    for (int i = 0; i < names.length; i++) {
      out.add(least(greatest(p.getItem(i), col(MIN)), col(MAX)).as(names[i]));
    }
    out.add(col(SKETCH));
    return out.toArray(Column[]::new);
  }

  /** The statistics columns, to select them from a row that has them. */
  public static Column[] columns() {
    return java.util.Arrays.stream(SCHEMA.fieldNames()).map(org.apache.spark.sql.functions::col)
        .toArray(Column[]::new);
  }

  static double[] percentiles(byte[] sketch) {
    QuantileSketch s = QuantileSketch.fromEncoded(sketch);
    return new double[] {s.quantile(0.5), s.quantile(0.95), s.quantile(0.99)};
  }

  private static final Encoder<QuantileSketch> SKETCH_BUFFER = Encoders.bean(QuantileSketch.class);

  /** An aggregation into one {@link QuantileSketch}; subclasses add one input to it. */
  abstract static class SketchAggregator<I> extends Aggregator<I, QuantileSketch, byte[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public QuantileSketch zero() {
      return new QuantileSketch();
    }

    @Override
    public QuantileSketch merge(QuantileSketch a, QuantileSketch b) {
      a.merge(b);
      return a;
    }

    @Override
    public byte[] finish(QuantileSketch s) {
      return s.getEncoded();
    }

    @Override
    public Encoder<QuantileSketch> bufferEncoder() {
      return SKETCH_BUFFER;
    }

    @Override
    public Encoder<byte[]> outputEncoder() {
      return Encoders.BINARY();
    }
  }

  /** The percentile sketch of a window's values. */
  static final class SketchOfValues extends SketchAggregator<Double> {
    private static final long serialVersionUID = 1L;

    @Override
    public QuantileSketch reduce(QuantileSketch s, Double value) {
      if (value != null) {
        s.add(value);
      }
      return s;
    }
  }

  /** The merge of windows' percentile sketches. */
  static final class SketchOfSketches extends SketchAggregator<byte[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public QuantileSketch reduce(QuantileSketch s, byte[] sketch) {
      if (sketch != null) {
        s.merge(QuantileSketch.fromEncoded(sketch));
      }
      return s;
    }
  }

  /**
   * Mean and population standard deviation of the union of windows, from each window's (count,
   * mean, stddev): the pairwise update of Chan, Golub and LeVeque on (n, mean, M2), with M2 = n
   * stddev^2. Buffer and result: (n, mean, M2) and (mean, stddev).
   */
  static final class MergedMoments
      extends Aggregator<Tuple3<Long, Double, Double>, Tuple3<Long, Double, Double>, Tuple2<Double, Double>> {
    private static final long serialVersionUID = 1L;

    @Override
    public Tuple3<Long, Double, Double> zero() {
      return new Tuple3<>(0L, 0.0, 0.0);
    }

    @Override
    public Tuple3<Long, Double, Double> reduce(Tuple3<Long, Double, Double> b, Tuple3<Long, Double, Double> w) {
      long n = w._1();
      return combine(b, new Tuple3<>(n, w._2(), n * w._3() * w._3()));
    }

    @Override
    public Tuple3<Long, Double, Double> merge(Tuple3<Long, Double, Double> a, Tuple3<Long, Double, Double> b) {
      return combine(a, b);
    }

    private static Tuple3<Long, Double, Double> combine(Tuple3<Long, Double, Double> a,
        Tuple3<Long, Double, Double> b) {
      if (a._1() == 0) {
        return b;
      }
      if (b._1() == 0) {
        return a;
      }
      long n = a._1() + b._1();
      double delta = b._2() - a._2();
      double mean = a._2() + delta * b._1() / n;
      double m2 = a._3() + b._3() + delta * delta * ((double) a._1() * b._1() / n);
      return new Tuple3<>(n, mean, m2);
    }

    @Override
    public Tuple2<Double, Double> finish(Tuple3<Long, Double, Double> b) {
      return b._1() == 0 ? new Tuple2<>(null, null) : new Tuple2<>(b._2(), Math.sqrt(Math.max(0, b._3() / b._1())));
    }

    @Override
    public Encoder<Tuple3<Long, Double, Double>> bufferEncoder() {
      return Encoders.tuple(Encoders.LONG(), Encoders.DOUBLE(), Encoders.DOUBLE());
    }

    @Override
    public Encoder<Tuple2<Double, Double>> outputEncoder() {
      return Encoders.tuple(Encoders.DOUBLE(), Encoders.DOUBLE());
    }
  }
}
